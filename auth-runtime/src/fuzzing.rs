//! Entry points for the fuzz targets in `fuzz/`, to the parsers that are
//! not public API. Built only under cargo-fuzz (`--cfg fuzzing`); never part
//! of a release build.

use std::sync::Arc;

use jsonwebtoken::jwk::JwkSet;
use serde_json::Value;

use crate::authn::AuthError;
pub use crate::authn::bearer::{Credentials, credentials};
pub use crate::authn::claims::ClaimsMapping;
use crate::authn::claims::{numeric_date, time_at};
use crate::authn::providers::JwtProvider;
use crate::authn::providers::jwks::{KeySet, find};
use crate::config::OAuth2Config;
use crate::principal::User;

/// A claim read as a NumericDate and turned into a clock time with a leeway,
/// as the providers do with `exp`: never panics, whatever the claims hold.
pub fn expiry(
    claims: &Value,
    name: &str,
    leeway: u64,
) -> Result<Option<std::time::SystemTime>, String> {
    match numeric_date(claims, name)? {
        Some(secs) => time_at(secs, leeway)
            .map(Some)
            .ok_or_else(|| format!("`{name}` does not fit a clock")),
        None => Ok(None),
    }
}

/// The JWT provider's verification with a fixed key set instead of a JWKS
/// endpoint: the header checks, the key lookup by `kid` and the signature
/// and claims checks of a request, without the network.
pub struct JwtVerifier {
    provider: JwtProvider,
    keys: KeySet,
}

impl JwtVerifier {
    /// `config` must name a `jwks.uri` (it is never fetched).
    pub fn new(
        config: &OAuth2Config,
        jwks: &JwkSet,
    ) -> Result<Self, crate::authn::providers::ProviderError> {
        Ok(JwtVerifier {
            provider: JwtProvider::new(config)?,
            keys: KeySet::from_jwks(jwks),
        })
    }

    /// What a request with this bearer token would get, a kid the set lacks
    /// being a rejection.
    pub fn verify(&self, token: &str) -> Result<Arc<User>, AuthError> {
        let header = self.provider.header(token)?;
        let key = find(&self.keys, header.kid.as_deref())
            .ok_or_else(|| AuthError::Rejected("Invalid JWT token".into()))?;
        self.provider.verify(token, &header, &key).map(Arc::new)
    }
}
