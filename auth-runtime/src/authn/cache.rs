//! The validation cache in front of a provider: keyed by a secret-keyed tag
//! of the token (`TokenTags`, never the token), bounded, an entry kept no longer than the
//! configured TTL nor past the credential's own expiry; rejected tokens kept
//! briefly; concurrent validations of one token coalesce into one call.
//!
//! Each configured provider has a cache of its own, under a tag key of its
//! own, so an entry is keyed by provider and token: one provider's answer is
//! never another's. It keeps users as the provider named them (among several
//! providers, their principals qualified by its name): a cache is only ever
//! reused for a provider of the same name and the same number of providers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use moka::Expiry;
use tokio::sync::OnceCell;

use super::{AuthError, AuthProvider, RequestHead};
use crate::digest::{TagHash, TokenTags};
use crate::principal::User;

/// A provider behind a cache.
pub struct CachedProvider {
    inner: Arc<dyn AuthProvider>,
    tags: TokenTags,
    /// Answers by token tag; read without waiting, so a hit is served in
    /// the pipeline's synchronous path.
    cache: moka::sync::Cache<u128, Cached, TagHash>,
    /// Validations in flight, one per token tag: concurrent callers of one
    /// token wait for the first one's answer. Bounded by the requests in
    /// flight: an entry leaves when its validation ends or its last caller
    /// goes away.
    in_flight: Mutex<HashMap<u128, Arc<Validation>, TagHash>>,
    /// Where lookups are counted, when metrics are on.
    metrics: Option<Arc<crate::telemetry::metrics::Metrics>>,
}

/// One validation, shared by every caller of its token.
type Validation = OnceCell<Result<Cached, AuthError>>;

/// What is remembered about a token.
#[derive(Clone)]
enum Cached {
    Valid(Arc<User>),
    Rejected(Arc<str>),
}

/// Per-entry lifetimes.
struct Lifetimes {
    ttl: Duration,
    failure_ttl: Duration,
}

impl Expiry<u128, Cached> for Lifetimes {
    fn expire_after_create(&self, _key: &u128, value: &Cached, _now: Instant) -> Option<Duration> {
        Some(match value {
            Cached::Valid(user) => match user.expires_at {
                Some(at) => at
                    .duration_since(SystemTime::now())
                    .unwrap_or(Duration::ZERO)
                    .min(self.ttl),
                None => self.ttl,
            },
            Cached::Rejected(_) => self.failure_ttl,
        })
    }
}

impl CachedProvider {
    /// `ttl` for validated tokens (capped by their expiry), `failure_ttl` for
    /// rejected ones, at most `max_entries` tokens.
    pub fn new(
        inner: Arc<dyn AuthProvider>,
        ttl: Duration,
        failure_ttl: Duration,
        max_entries: u64,
    ) -> Self {
        let cache = moka::sync::Cache::builder()
            .max_capacity(max_entries)
            .expire_after(Lifetimes { ttl, failure_ttl })
            .build_with_hasher(TagHash);
        CachedProvider {
            inner,
            tags: TokenTags::new(),
            cache,
            in_flight: Mutex::new(HashMap::with_hasher(TagHash)),
            metrics: None,
        }
    }

    /// Counts lookups (hit, miss, coalesced) in `metrics`.
    pub(crate) fn counted(
        mut self,
        metrics: Option<&Arc<crate::telemetry::metrics::Metrics>>,
    ) -> Self {
        self.metrics = metrics.cloned();
        self
    }

    /// The cached answer for a token tag, if any.
    fn cached(&self, key: &u128) -> Option<Result<Arc<User>, AuthError>> {
        let cached = self.cache.get(key)?;
        if let Some(metrics) = &self.metrics {
            metrics.cache("hit");
        }
        Some(self.answer(key, cached))
    }

    fn answer(&self, key: &u128, cached: Cached) -> Result<Arc<User>, AuthError> {
        match cached {
            Cached::Valid(user) => match user.expires_at {
                // moka expires lazily; never hand out a user past its credential.
                Some(at) if at <= SystemTime::now() => {
                    self.cache.invalidate(key);
                    Err(AuthError::Rejected("Token expired".into()))
                }
                _ => Ok(user),
            },
            Cached::Rejected(reason) => Err(AuthError::Rejected(reason.to_string())),
        }
    }

    /// Asks the provider once for all concurrent callers of one token.
    /// Provider errors (unreachable, failed) are shared with those callers but
    /// not cached, so recovery is immediate.
    async fn validate(
        &self,
        key: u128,
        token: &str,
        request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError> {
        let validation = lock(&self.in_flight).entry(key).or_default().clone();
        let waiting = Waiting {
            provider: self,
            key,
            validation,
        };
        let mut asked = false;
        let outcome = waiting
            .validation
            .get_or_init(|| async {
                asked = true;
                match self.inner.authenticate(Some(token), request).await {
                    Ok(user) => Ok(Cached::Valid(user)),
                    Err(AuthError::Rejected(reason)) => Ok(Cached::Rejected(reason.into())),
                    Err(other) => Err(other),
                }
            })
            .await
            .clone();
        if let Some(metrics) = &self.metrics {
            // The caller that asked the provider, or one that took its answer.
            metrics.cache(if asked { "miss" } else { "coalesced" });
        }
        match outcome {
            Ok(cached) => {
                // In the cache before the validation retires (when `waiting`
                // drops), so a caller arriving in between finds one or the other.
                self.cache.insert(key, cached.clone());
                self.answer(&key, cached)
            }
            Err(error) => Err(error),
        }
    }
}

/// A caller of an in-flight validation. When the last caller leaves, or the
/// validation has an answer, the entry goes.
struct Waiting<'p> {
    provider: &'p CachedProvider,
    key: u128,
    validation: Arc<Validation>,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        let mut in_flight = lock(&self.provider.in_flight);
        let done = self.validation.initialized() || Arc::strong_count(&self.validation) <= 2;
        if done
            && in_flight
                .get(&self.key)
                .is_some_and(|v| Arc::ptr_eq(v, &self.validation))
        {
            in_flight.remove(&self.key);
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[async_trait]
impl AuthProvider for CachedProvider {
    async fn authenticate(
        &self,
        token: Option<&str>,
        request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError> {
        // Without a token (a gateway's headers) there is nothing to key on.
        let Some(token) = token else {
            return self.inner.authenticate(None, request).await;
        };
        let key = self.tags.tag(token.as_bytes());
        match self.cached(&key) {
            Some(answer) => answer,
            None => self.validate(key, token, request).await,
        }
    }

    fn authenticate_now(
        &self,
        token: Option<&str>,
        request: RequestHead<'_>,
    ) -> Option<Result<Arc<User>, AuthError>> {
        match token {
            Some(token) => self.cached(&self.tags.tag(token.as_bytes())),
            None => self.inner.authenticate_now(None, request),
        }
    }

    fn requires_bearer(&self) -> bool {
        self.inner.requires_bearer()
    }

    fn missing_credentials_message(&self) -> String {
        self.inner.missing_credentials_message()
    }

    fn name(&self) -> &'static str {
        self.inner.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, Method, Uri};

    /// A provider that never answers.
    struct Hangs;

    #[async_trait]
    impl AuthProvider for Hangs {
        async fn authenticate(
            &self,
            _: Option<&str>,
            _: RequestHead<'_>,
        ) -> Result<Arc<User>, AuthError> {
            std::future::pending().await
        }
    }

    #[tokio::test]
    async fn callers_that_give_up_leave_nothing_in_flight() {
        let cached = CachedProvider::new(
            Arc::new(Hangs),
            Duration::from_secs(60),
            Duration::from_secs(5),
            100,
        );
        let (method, uri, headers) = (Method::GET, Uri::from_static("/"), HeaderMap::new());
        let head = RequestHead {
            method: &method,
            uri: &uri,
            headers: &headers,
        };
        for i in 0..50 {
            let token = format!("token-{i}");
            let attempt = cached.authenticate(Some(&token), head);
            // The client goes away while the provider is thinking.
            assert!(
                tokio::time::timeout(Duration::from_millis(1), attempt)
                    .await
                    .is_err()
            );
        }
        assert!(lock(&cached.in_flight).is_empty());
        assert!(cached.authenticate_now(Some("token-1"), head).is_none());
    }

    /// A provider whose users' credentials expired a second ago.
    struct Expired;

    #[async_trait]
    impl AuthProvider for Expired {
        async fn authenticate(
            &self,
            _: Option<&str>,
            _: RequestHead<'_>,
        ) -> Result<Arc<User>, AuthError> {
            let mut user = User::new("late", Default::default());
            user.expires_at = Some(SystemTime::now() - Duration::from_secs(1));
            Ok(Arc::new(user))
        }
    }

    #[tokio::test]
    async fn never_hands_out_a_user_past_its_credential() {
        let cached = CachedProvider::new(
            Arc::new(Expired),
            Duration::from_secs(60),
            Duration::from_secs(5),
            100,
        );
        let (method, uri, headers) = (Method::GET, Uri::from_static("/"), HeaderMap::new());
        let head = RequestHead {
            method: &method,
            uri: &uri,
            headers: &headers,
        };
        for _ in 0..2 {
            assert_eq!(
                cached.authenticate(Some("t"), head).await.err(),
                Some(AuthError::Rejected("Token expired".into()))
            );
        }
    }

    /// A slow provider that counts its calls and has a hint and name of its own.
    struct Slow(std::sync::atomic::AtomicUsize);

    #[async_trait]
    impl AuthProvider for Slow {
        async fn authenticate(
            &self,
            _: Option<&str>,
            _: RequestHead<'_>,
        ) -> Result<Arc<User>, AuthError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(200)).await;
            Ok(Arc::new(User::new("slow", Default::default())))
        }

        fn requires_bearer(&self) -> bool {
            false
        }

        fn missing_credentials_message(&self) -> String {
            "send the slow token".into()
        }

        fn name(&self) -> &'static str {
            "slow"
        }
    }

    #[tokio::test]
    async fn a_caller_giving_up_does_not_end_the_validation_others_wait_for() {
        let slow = Arc::new(Slow(Default::default()));
        let cached = Arc::new(CachedProvider::new(
            slow.clone(),
            Duration::from_secs(60),
            Duration::from_secs(5),
            100,
        ));
        // What the cache forwards from its provider.
        assert!(!cached.requires_bearer());
        assert_eq!(cached.missing_credentials_message(), "send the slow token");
        assert_eq!(cached.name(), "slow");

        let call = |cached: Arc<CachedProvider>| async move {
            let (method, uri, headers) = (Method::GET, Uri::from_static("/"), HeaderMap::new());
            let head = RequestHead {
                method: &method,
                uri: &uri,
                headers: &headers,
            };
            cached
                .authenticate(Some("t"), head)
                .await
                .map(|u| u.principal.clone())
        };
        let patient = tokio::spawn(call(cached.clone()));
        tokio::time::sleep(Duration::from_millis(20)).await;
        // A second caller gives up while the first still waits.
        assert!(
            tokio::time::timeout(Duration::from_millis(20), call(cached.clone()))
                .await
                .is_err()
        );
        // A third arrives and joins the validation in flight.
        let late = tokio::spawn(call(cached.clone()));
        assert_eq!(
            patient.await.ok().and_then(Result::ok).as_deref(),
            Some("slow")
        );
        assert_eq!(
            late.await.ok().and_then(Result::ok).as_deref(),
            Some("slow")
        );
        assert_eq!(
            slow.0.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "one validation for every caller"
        );
        // Once validated, a hit is answered without waiting.
        let (method, uri, headers) = (Method::GET, Uri::from_static("/"), HeaderMap::new());
        let head = RequestHead {
            method: &method,
            uri: &uri,
            headers: &headers,
        };
        assert!(
            cached
                .authenticate_now(Some("t"), head)
                .is_some_and(|r| r.is_ok())
        );
    }
}
