//! `type: oauth2_token` with `jwks`: JWTs verified against the identity
//! provider's published keys. Only asymmetric algorithms, only the ones the
//! key allows: `alg: none` and HS256-signed-with-the-public-key never verify.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use jsonwebtoken::{Validation, decode, decode_header};
use serde_json::Value;

use super::jwks::KeyStore;
use crate::authn::claims::ClaimsMapping;
use crate::authn::http;
use crate::authn::{AuthError, AuthProvider, RequestHead};
use crate::config::OAuth2Config;
use crate::principal::User;

/// Clock skew allowed on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 30;

/// Verifies JWTs with a JWKS.
pub struct JwtProvider {
    keys: KeyStore,
    audience: String,
    issuer: Option<String>,
    mapping: ClaimsMapping,
}

impl JwtProvider {
    pub fn new(config: &OAuth2Config) -> Result<Self, String> {
        let jwks = config.jwks.as_ref().ok_or("jwks is not configured")?;
        let uri = reqwest::Url::parse(&jwks.uri).map_err(|e| format!("jwks.uri: {e}"))?;
        let client = http::client(
            config.verify_tls,
            config.tls_cafile.as_deref(),
            config.timeout,
        )?;
        Ok(JwtProvider {
            keys: KeyStore::new(
                uri,
                jwks.token.clone(),
                client,
                Duration::from_secs(jwks.key_recheck_period),
            ),
            audience: config.audience.clone(),
            issuer: config.issuer.clone(),
            mapping: ClaimsMapping::new(&config.claims_mapping),
        })
    }

    /// The key store, for tests and metrics.
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    fn invalid(reason: impl std::fmt::Display) -> AuthError {
        tracing::debug!(target: "webmethod::auth", %reason, "JWT rejected");
        AuthError::Rejected("Invalid JWT token".into())
    }
}

#[async_trait]
impl AuthProvider for JwtProvider {
    async fn authenticate(
        &self,
        token: Option<&str>,
        _request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError> {
        let token = crate::authn::require_token(token)?;
        // An unknown or absent algorithm (`none` included) fails here.
        let header = decode_header(token).map_err(Self::invalid)?;
        let key = self.keys.key(header.kid.as_deref()).await?;
        if !key.algorithms.contains(&header.alg) {
            return Err(Self::invalid(format!(
                "algorithm {:?} does not fit the key",
                header.alg
            )));
        }
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_audience(&[&self.audience]);
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
        }
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        let data = decode::<Value>(token, &key.decoding, &validation).map_err(Self::invalid)?;
        let claims = data.claims;
        let principal = match claims.get("sub") {
            Some(Value::String(sub)) if !sub.is_empty() => sub.clone(),
            _ => return Err(Self::invalid("`sub` is not a non-empty string")),
        };
        let mut user = User::new(principal, self.mapping.attributes(&claims));
        user.expires_at = claims
            .get("exp")
            .and_then(Value::as_u64)
            .map(|exp| UNIX_EPOCH + Duration::from_secs(exp + LEEWAY_SECONDS));
        if user.expires_at.is_some_and(|at| at <= SystemTime::now()) {
            return Err(Self::invalid("expired"));
        }
        Ok(Arc::new(user))
    }

    fn missing_credentials_message(&self) -> String {
        match &self.issuer {
            Some(issuer) => format!("Authentication required. Please provide a valid OAuth2 Bearer token from {issuer}"),
            None => "Authentication required. Please provide a valid OAuth2 Bearer token in the Authorization header".into(),
        }
    }

    fn name(&self) -> &'static str {
        "oauth2_token"
    }
}
