//! The signing keys of a JWKS endpoint: fetched lazily, refreshed every
//! `key_recheck_period`, and once more when a token names an unknown `kid`,
//! no more often than [`UNKNOWN_KID_REFRESH`] so that a flood of made-up kids
//! cannot hammer the identity provider.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

use crate::authn::AuthError;
use crate::authn::http;

/// The shortest time between two refreshes caused by unknown kids.
pub const UNKNOWN_KID_REFRESH: Duration = Duration::from_secs(5);

/// One usable verification key.
pub struct Key {
    pub decoding: DecodingKey,
    /// The algorithms this key may verify: its `alg`, or its type's family.
    pub algorithms: Vec<Algorithm>,
}

#[derive(Default)]
struct KeySet {
    by_kid: HashMap<String, Arc<Key>>,
    /// Keys without a `kid`, for tokens without one.
    anonymous: Vec<Arc<Key>>,
    fetched_at: Option<Instant>,
}

/// A JWKS endpoint and the keys last read from it.
pub struct KeyStore {
    uri: reqwest::Url,
    token: Option<String>,
    client: reqwest::Client,
    recheck: Duration,
    keys: RwLock<Arc<KeySet>>,
    /// Serialises fetches; holds when the last unknown-kid refresh happened.
    refresh: tokio::sync::Mutex<Option<Instant>>,
}

impl KeyStore {
    pub fn new(
        uri: reqwest::Url,
        token: Option<String>,
        client: reqwest::Client,
        recheck: Duration,
    ) -> Self {
        KeyStore {
            uri,
            token,
            client,
            recheck,
            keys: RwLock::new(Arc::new(KeySet::default())),
            refresh: tokio::sync::Mutex::new(None),
        }
    }

    fn current(&self) -> Arc<KeySet> {
        self.keys
            .read()
            .map_or_else(|p| p.into_inner().clone(), |k| k.clone())
    }

    /// The key for a token's `kid` (or the only key without one).
    pub async fn key(&self, kid: Option<&str>) -> Result<Arc<Key>, AuthError> {
        let set = self.current();
        let stale = set.fetched_at.is_none_or(|at| at.elapsed() >= self.recheck);
        let set = if stale {
            self.refresh(None).await?
        } else {
            set
        };
        if let Some(key) = find(&set, kid) {
            return Ok(key);
        }
        // Unknown kid: maybe the keys rotated. One refresh, rate-limited.
        let set = self.refresh(Some(Instant::now())).await?;
        find(&set, kid).ok_or_else(|| AuthError::Rejected("Invalid JWT token".into()))
    }

    /// Fetches the keys unless another caller just did. `unknown_kid` is set
    /// when an unknown kid asks, which is rate-limited.
    async fn refresh(&self, unknown_kid: Option<Instant>) -> Result<Arc<KeySet>, AuthError> {
        let asked_at = Instant::now();
        let mut last_unknown = self.refresh.lock().await;
        let set = self.current();
        // Someone refreshed while we waited for the lock.
        if set.fetched_at.is_some_and(|at| at >= asked_at) {
            return Ok(set);
        }
        if let Some(now) = unknown_kid {
            if last_unknown.is_some_and(|at| now.duration_since(at) < UNKNOWN_KID_REFRESH) {
                return Ok(set);
            }
            *last_unknown = Some(now);
        } else if set.fetched_at.is_some_and(|at| at.elapsed() < self.recheck) {
            return Ok(set);
        }
        match self.fetch().await {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                match self.keys.write() {
                    Ok(mut keys) => *keys = fresh.clone(),
                    Err(poisoned) => *poisoned.into_inner() = fresh.clone(),
                }
                Ok(fresh)
            }
            // Keep serving with the keys we have; fail only without any.
            Err(e) if set.fetched_at.is_some() => {
                tracing::warn!(target: "webmethod::auth", uri = %self.uri, error = ?e, "JWKS refresh failed; keeping the previous keys");
                Ok(set)
            }
            Err(e) => Err(e),
        }
    }

    async fn fetch(&self) -> Result<KeySet, AuthError> {
        let mut request = self.client.get(self.uri.clone());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .map_err(|e| http::transport_error("JWKS", e))?;
        if !response.status().is_success() {
            tracing::warn!(target: "webmethod::auth", uri = %self.uri, status = response.status().as_u16(), "JWKS endpoint answered an error");
            return Err(AuthError::Unavailable(
                "Authentication service unavailable".into(),
            ));
        }
        let body = http::read_limited("JWKS", response).await?;
        let jwks: JwkSet = serde_json::from_slice(&body)
            .map_err(|e| AuthError::Failed(format!("JWKS is not a valid key set: {e}")))?;
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
        Ok(set)
    }
}

fn find(set: &KeySet, kid: Option<&str>) -> Option<Arc<Key>> {
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
