//! The signing keys of a JWKS endpoint: fetched lazily, refreshed every
//! `key_recheck_period`, and once more when a token names an unknown `kid`.
//! At most one fetch is in flight; everyone who asked while it ran takes its
//! outcome. After a fetch for an unknown kid, and after a failed one, none
//! starts for [`UNKNOWN_KID_REFRESH`], so neither a flood of made-up kids nor
//! an outage hammers the identity provider or makes requests queue behind
//! each other:
//! during an outage a request that needs a key the store lacks gets 503
//! within the provider's `timeout`, and known keys keep verifying.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::discovery::Discovery;
use crate::authn::AuthError;
use crate::authn::http;

/// The cooldown after a fetch for an unknown kid or a failed fetch: no
/// fetch starts within it.
pub const UNKNOWN_KID_REFRESH: Duration = Duration::from_secs(5);

/// One usable verification key.
pub struct Key {
    /// The public key, ready to verify signatures.
    pub decoding: DecodingKey,
    /// The algorithms this key may verify: its `alg`, or its type's family.
    pub algorithms: Vec<Algorithm>,
}

#[derive(Default)]
pub(crate) struct KeySet {
    by_kid: HashMap<String, Arc<Key>>,
    /// Keys without a `kid`, for tokens without one.
    anonymous: Vec<Arc<Key>>,
    fetched_at: Option<Instant>,
}

/// Where the keys are: a configured `jwks.uri`, or the `jwks_uri` of the
/// issuer's discovery document.
pub enum KeySource {
    /// `jwks.uri`, as configured.
    Uri(reqwest::Url),
    /// The `jwks_uri` of this discovery document, read when the keys are fetched.
    Discovered(Arc<Discovery>),
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Logged: never the URL's credentials.
            KeySource::Uri(uri) => crate::authn::redact::Url(uri.as_str()).fmt(f),
            KeySource::Discovered(_) => f.write_str("(from OIDC discovery)"),
        }
    }
}

impl KeySource {
    async fn uri(&self) -> Result<reqwest::Url, String> {
        match self {
            KeySource::Uri(uri) => Ok(uri.clone()),
            KeySource::Discovered(discovery) => discovery
                .document()
                .await
                .map_err(|_| "OIDC discovery failed".to_owned())?
                .jwks_uri
                .clone()
                .ok_or_else(|| "the discovery document has no jwks_uri".to_owned()),
        }
    }
}

/// A JWKS endpoint and the keys last read from it.
pub struct KeyStore {
    source: KeySource,
    token: Option<String>,
    client: reqwest::Client,
    recheck: Duration,
    /// The longest a fetch may take, answer included.
    timeout: Duration,
    keys: RwLock<Arc<KeySet>>,
    /// One fetch at a time; what the last one did.
    fetches: tokio::sync::Mutex<LastFetch>,
    /// A periodic refresh runs behind the requests.
    refreshing: AtomicBool,
}

/// The last fetch, successful or not.
#[derive(Default)]
struct LastFetch {
    ended_at: Option<Instant>,
    failed: bool,
    /// When the cooldown began: the end of the last fetch that was for an
    /// unknown kid or failed.
    cooldown_from: Option<Instant>,
}

/// Why the keys are fetched.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reason {
    /// None yet, or `key_recheck_period` has passed.
    Due,
    /// A token names a kid the keys lack.
    UnknownKid,
}

/// The keys after a refresh, and whether the endpoint is failing.
struct Refreshed {
    set: Arc<KeySet>,
    failing: bool,
}

impl KeyStore {
    /// A store with no key yet: the keys are fetched from `source` when first
    /// needed, then every `recheck`, with `token` as the bearer token of each
    /// fetch (when set); `timeout` bounds one fetch, answer included.
    pub fn new(
        source: KeySource,
        token: Option<String>,
        client: reqwest::Client,
        recheck: Duration,
        timeout: Duration,
    ) -> Self {
        KeyStore {
            source,
            token,
            client,
            recheck,
            timeout,
            keys: RwLock::new(Arc::new(KeySet::default())),
            fetches: tokio::sync::Mutex::new(LastFetch::default()),
            refreshing: AtomicBool::new(false),
        }
    }

    fn current(&self) -> Arc<KeySet> {
        self.keys
            .read()
            .map_or_else(|p| p.into_inner().clone(), |k| k.clone())
    }

    /// The key for a token's `kid` (or the only key without one). A kid the
    /// keys lack is 401 when the endpoint answers, 503 while it fails.
    pub async fn key(self: &Arc<Self>, kid: Option<&str>) -> Result<Arc<Key>, AuthError> {
        let set = self.current();
        let stale = set.fetched_at.is_none_or(|at| at.elapsed() >= self.recheck);
        if stale
            && set.fetched_at.is_some()
            && let Some(key) = find(&set, kid)
        {
            // A key we have: verify now, refresh behind the request, so a
            // hanging endpoint never holds up a token whose key is known.
            self.refresh_in_background();
            return Ok(key);
        }
        let refreshed = if stale {
            // Just refreshed: an unknown kid needs no second fetch.
            self.refresh(Reason::Due).await?
        } else {
            if let Some(key) = find(&set, kid) {
                return Ok(key);
            }
            // Unknown kid: maybe the keys rotated. One refresh, rate-limited.
            self.refresh(Reason::UnknownKid).await?
        };
        match find(&refreshed.set, kid) {
            Some(key) => Ok(key),
            None if refreshed.failing => Err(http::unavailable()),
            None => Err(AuthError::Rejected("Invalid JWT token".into())),
        }
    }

    /// The periodic refresh, in a task of its own; one at a time.
    fn refresh_in_background(self: &Arc<Self>) {
        if self.refreshing.swap(true, Ordering::AcqRel) {
            return;
        }
        let store = Arc::clone(self);
        tokio::spawn(async move {
            // A failure is logged by `refresh`; the keys we have stay.
            let _ = store.refresh(Reason::Due).await;
            store.refreshing.store(false, Ordering::Release);
        });
    }

    /// Fetches the keys unless a fetch ended while we waited for our turn
    /// (its outcome is ours) or the cooldown holds. Without any keys, a
    /// failing endpoint is 503.
    async fn refresh(&self, reason: Reason) -> Result<Refreshed, AuthError> {
        let asked_at = Instant::now();
        let mut last = self.fetches.lock().await;
        let set = self.current();
        // A fetch that ended while we waited for the lock answers us too.
        let answered = last.ended_at.is_some_and(|at| at >= asked_at);
        let cooling = last
            .cooldown_from
            .is_some_and(|at| at.elapsed() < UNKNOWN_KID_REFRESH);
        let fetch = !answered
            && match reason {
                Reason::Due => {
                    let due = set.fetched_at.is_none_or(|at| at.elapsed() >= self.recheck);
                    due && !(cooling && last.failed)
                }
                Reason::UnknownKid => !cooling,
            };
        let failing = if !fetch {
            last.failed
        } else {
            let outcome = match tokio::time::timeout(self.timeout, self.fetch()).await {
                Ok(outcome) => outcome,
                Err(_) => Err(format!("no answer within {:?}", self.timeout)),
            };
            let now = Instant::now();
            last.ended_at = Some(now);
            last.failed = outcome.is_err();
            if let Some(metrics) = crate::metrics::enabled() {
                let result = if last.failed { "error" } else { "ok" };
                crate::metrics::Metrics::count(&metrics.jwks_fetches, result);
            }
            if last.failed || reason == Reason::UnknownKid {
                last.cooldown_from = Some(now);
            }
            match outcome {
                Ok(fresh) => {
                    let fresh = Arc::new(fresh);
                    match self.keys.write() {
                        Ok(mut keys) => *keys = fresh.clone(),
                        Err(poisoned) => *poisoned.into_inner() = fresh.clone(),
                    }
                    return Ok(Refreshed {
                        set: fresh,
                        failing: false,
                    });
                }
                Err(reason) => {
                    // Keep serving with the keys we have.
                    tracing::warn!(
                        target: "webmethod::auth",
                        uri = %self.source,
                        reason = ?reason,
                        have_keys = set.fetched_at.is_some(),
                        "JWKS fetch failed; the next one in {UNKNOWN_KID_REFRESH:?} at the earliest"
                    );
                    true
                }
            }
        };
        if failing && set.fetched_at.is_none() {
            return Err(http::unavailable());
        }
        Ok(Refreshed { set, failing })
    }

    /// One fetch; the error says why, for the log.
    async fn fetch(&self) -> Result<KeySet, String> {
        let mut request = self.client.get(self.source.uri().await?);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        if !response.status().is_success() {
            return Err(format!("status {}", response.status().as_u16()));
        }
        let body = http::read_limited("JWKS", response)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let jwks: JwkSet =
            serde_json::from_slice(&body).map_err(|e| format!("not a JWK set: {e}"))?;
        Ok(KeySet::from_jwks(&jwks))
    }
}

impl KeySet {
    /// The usable keys of a JWK set, as fetched now: signing keys of an
    /// asymmetric type this verifier supports; others are skipped.
    pub(crate) fn from_jwks(jwks: &JwkSet) -> KeySet {
        let mut set = KeySet {
            fetched_at: Some(Instant::now()),
            ..KeySet::default()
        };
        for jwk in &jwks.keys {
            if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
                continue;
            }
            let Some(algorithms) = algorithms_for(jwk) else {
                continue;
            };
            let Ok(decoding) = DecodingKey::from_jwk(jwk) else {
                continue;
            };
            let key = Arc::new(Key {
                decoding,
                algorithms,
            });
            match &jwk.common.key_id {
                Some(kid) => {
                    set.by_kid.insert(kid.clone(), key);
                }
                None => set.anonymous.push(key),
            }
        }
        set
    }
}

pub(crate) fn find(set: &KeySet, kid: Option<&str>) -> Option<Arc<Key>> {
    match kid {
        Some(kid) => set.by_kid.get(kid).cloned(),
        // No kid: only unambiguous when the set has exactly one key.
        None => match (set.anonymous.as_slice(), set.by_kid.len()) {
            ([only], 0) => Some(only.clone()),
            ([], 1) => set.by_kid.values().next().cloned(),
            _ => None,
        },
    }
}

/// The asymmetric algorithms a JWK may verify; `None` for symmetric or
/// unusable keys (a shared secret never comes from a JWKS).
fn algorithms_for(jwk: &jsonwebtoken::jwk::Jwk) -> Option<Vec<Algorithm>> {
    use Algorithm::*;
    let family: Vec<Algorithm> = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => vec![RS256, RS384, RS512, PS256, PS384, PS512],
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => vec![ES256],
            EllipticCurve::P384 => vec![ES384],
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(_) => vec![EdDSA],
        _ => return None,
    };
    match jwk.common.key_algorithm {
        None => Some(family),
        Some(declared) => {
            let declared = match declared {
                KeyAlgorithm::RS256 => RS256,
                KeyAlgorithm::RS384 => RS384,
                KeyAlgorithm::RS512 => RS512,
                KeyAlgorithm::PS256 => PS256,
                KeyAlgorithm::PS384 => PS384,
                KeyAlgorithm::PS512 => PS512,
                KeyAlgorithm::ES256 => ES256,
                KeyAlgorithm::ES384 => ES384,
                KeyAlgorithm::EdDSA => EdDSA,
                _ => return None,
            };
            family.contains(&declared).then(|| vec![declared])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::jwk::Jwk;

    fn jwk(params: &str, alg: Option<&str>) -> Jwk {
        let alg = alg.map_or(String::new(), |a| format!(r#","alg":"{a}""#));
        serde_json::from_str(&format!("{{{params}{alg}}}")).unwrap()
    }

    const RSA: &str = r#""kty":"RSA","n":"AQAB","e":"AQAB""#;
    const P256: &str = r#""kty":"EC","crv":"P-256","x":"AA","y":"AA""#;
    const P384: &str = r#""kty":"EC","crv":"P-384","x":"AA","y":"AA""#;
    const ED: &str = r#""kty":"OKP","crv":"Ed25519","x":"AA""#;

    #[test]
    fn a_declared_alg_is_the_only_one_and_must_fit_the_key() {
        use Algorithm::*;
        for (params, alg, expected) in [
            (RSA, "RS256", RS256),
            (RSA, "RS384", RS384),
            (RSA, "RS512", RS512),
            (RSA, "PS256", PS256),
            (RSA, "PS384", PS384),
            (RSA, "PS512", PS512),
            (P256, "ES256", ES256),
            (P384, "ES384", ES384),
            (ED, "EdDSA", EdDSA),
        ] {
            assert_eq!(
                algorithms_for(&jwk(params, Some(alg))),
                Some(vec![expected]),
                "{alg}"
            );
        }
        assert_eq!(algorithms_for(&jwk(RSA, Some("ES256"))), None);
        assert_eq!(algorithms_for(&jwk(P256, Some("ES384"))), None);
        assert_eq!(
            algorithms_for(&jwk(RSA, None)),
            Some(vec![RS256, RS384, RS512, PS256, PS384, PS512])
        );
        assert_eq!(algorithms_for(&jwk(P384, None)), Some(vec![ES384]));
        assert_eq!(algorithms_for(&jwk(ED, None)), Some(vec![EdDSA]));
        assert_eq!(algorithms_for(&jwk(r#""kty":"oct","k":"AA""#, None)), None);
    }
}
