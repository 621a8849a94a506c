//! The validation cache in front of a provider: keyed by a SHA-256 of the
//! token (never the token), bounded, an entry kept no longer than the
//! configured TTL nor past the credential's own expiry; rejected tokens kept
//! briefly; concurrent validations of one token coalesce into one call.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use moka::Expiry;

use super::{AuthError, AuthProvider, RequestHead};
use crate::principal::User;

/// A provider behind a cache.
pub struct CachedProvider {
    inner: Arc<dyn AuthProvider>,
    cache: moka::future::Cache<[u8; 32], Cached>,
}

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

impl Expiry<[u8; 32], Cached> for Lifetimes {
    fn expire_after_create(
        &self,
        _key: &[u8; 32],
        value: &Cached,
        _now: Instant,
    ) -> Option<Duration> {
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
        let cache = moka::future::Cache::builder()
            .max_capacity(max_entries)
            .expire_after(Lifetimes { ttl, failure_ttl })
            .build();
        CachedProvider { inner, cache }
    }
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
        let key = crate::digest::sha256(token.as_bytes());
        let inner = &self.inner;
        // try_get_with runs one validation per key at a time; concurrent
        // callers wait for it. Provider errors (unreachable, failed) are not
        // cached, so recovery is immediate.
        let outcome = self
            .cache
            .try_get_with(key, async move {
                match inner.authenticate(Some(token), request).await {
                    Ok(user) => Ok(Cached::Valid(user)),
                    Err(AuthError::Rejected(reason)) => Ok(Cached::Rejected(reason.into())),
                    Err(other) => Err(other),
                }
            })
            .await;
        match outcome {
            Ok(Cached::Valid(user)) => match user.expires_at {
                // moka expires lazily; never hand out a user past its credential.
                Some(at) if at <= SystemTime::now() => {
                    self.cache.invalidate(&key).await;
                    Err(AuthError::Rejected("Token expired".into()))
                }
                _ => Ok(user),
            },
            Ok(Cached::Rejected(reason)) => Err(AuthError::Rejected(reason.to_string())),
            Err(shared) => Err((*shared).clone()),
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
