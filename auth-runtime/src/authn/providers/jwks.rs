//! The signing keys of a JWKS endpoint: fetched lazily, refreshed every
//! `key_recheck_period`, and once more when a token names an unknown `kid`.
//! The fetching is [`super::refresh`]'s: at most one fetch is in flight and
//! everyone who asked while it ran takes its outcome. After a fetch for an
//! unknown kid, and after a failed one, none starts for
//! [`COOLDOWN`], so neither a flood of made-up kids nor an outage
//! hammers the identity provider or makes requests queue behind each other:
//! during an outage a request that needs a key the store lacks gets 503
//! within the provider's `timeout`, and known keys keep verifying.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};

use super::key_source::KeySource;
use super::refresh::{Ask, COOLDOWN, Refreshed, Refresher};
use crate::authn::AuthError;
use crate::authn::http;

/// One usable verification key.
pub(crate) struct Key {
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
}

/// A JWKS endpoint and the keys last read from it.
pub(crate) struct KeyStore {
    source: KeySource,
    token: Option<String>,
    client: reqwest::Client,
    keys: Refresher<KeySet>,
    /// A periodic refresh runs behind the requests.
    refreshing: AtomicBool,
    /// Where fetches are counted, when metrics are on.
    metrics: Option<Arc<crate::telemetry::metrics::Metrics>>,
}

impl KeyStore {
    /// A store with no key yet: the keys are fetched from `source` when first
    /// needed, then every `recheck`, with `token` as the bearer token of each
    /// fetch (when set); `timeout` bounds one fetch, answer included.
    pub(crate) fn new(
        source: KeySource,
        token: Option<String>,
        client: reqwest::Client,
        recheck: Duration,
        timeout: Duration,
    ) -> Self {
        KeyStore {
            keys: Refresher::new("JWKS", &source, recheck, timeout, COOLDOWN),
            source,
            token,
            client,
            refreshing: AtomicBool::new(false),
            metrics: None,
        }
    }

    /// Counts fetches (ok, error) in `metrics`.
    pub(crate) fn counted(
        mut self,
        metrics: Option<&Arc<crate::telemetry::metrics::Metrics>>,
    ) -> Self {
        self.metrics = metrics.cloned();
        self
    }

    /// The key for a token's `kid` (or the only key without one). A kid the
    /// keys lack is 401 when the endpoint answers, 503 while it fails.
    pub(crate) async fn key(self: &Arc<Self>, kid: Option<&str>) -> Result<Arc<Key>, AuthError> {
        let known = self.keys.current();
        let stale = known.as_ref().is_none_or(|k| !self.keys.is_fresh(k));
        if stale
            && let Some(known) = &known
            && let Some(key) = find(&known.value, kid)
        {
            // A key we have: verify now, refresh behind the request, so a
            // hanging endpoint never holds up a token whose key is known.
            self.refresh_in_background();
            return Ok(key);
        }
        let refreshed = if stale {
            // Just refreshed: an unknown kid needs no second fetch.
            self.refresh(Ask::Due).await
        } else {
            if let Some(key) = known.as_ref().and_then(|k| find(&k.value, kid)) {
                return Ok(key);
            }
            // Unknown kid: maybe the keys rotated. One refresh, rate-limited.
            self.refresh(Ask::OutOfSchedule).await
        };
        match refreshed.value.as_ref().and_then(|k| find(&k.value, kid)) {
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
            // A failure is logged by the refresher; the keys we have stay.
            let _ = store.refresh(Ask::Due).await;
            store.refreshing.store(false, Ordering::Release);
        });
    }

    /// A refresh by the rules of [`Refresher::refresh`], counted in the
    /// metrics when it fetched.
    async fn refresh(&self, ask: Ask) -> Refreshed<KeySet> {
        let refreshed = self.keys.refresh(ask, self.fetch()).await;
        if let Some(succeeded) = refreshed.fetched
            && let Some(metrics) = &self.metrics
        {
            metrics.jwks_fetch(if succeeded { "ok" } else { "error" });
        }
        refreshed
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
        let mut set = KeySet::default();
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
