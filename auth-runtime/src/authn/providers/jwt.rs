//! `type: oauth2_token` with `jwks`: JWTs verified against the identity
//! provider's published keys. Only asymmetric algorithms, only the ones the
//! key allows: `alg: none` and HS256-signed-with-the-public-key never verify.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use jsonwebtoken::{Header, Validation, decode, decode_header};
use serde_json::Value;

use super::ProviderError;
use super::discovery::Discovery;
use super::jwks::{Key, KeyStore};
use super::key_source::KeySource;
use crate::authn::claims::{self, ClaimPath, ClaimsMapping};
use crate::authn::http;
use crate::authn::{AuthError, AuthProvider, RequestHead};
use crate::config::{JwksConfig, OAuth2Config, OneOrMany};
use crate::principal::User;

/// Clock skew allowed on `exp` and `nbf`.
pub(super) const LEEWAY_SECONDS: u64 = 30;

/// Verifies JWTs with a JWKS.
pub struct JwtProvider {
    keys: Arc<KeyStore>,
    audience: OneOrMany,
    issuer: Option<OneOrMany>,
    /// The `typ` header a token must carry (RFC 9068's `at+jwt`), if any.
    typ: Option<String>,
    mapping: ClaimsMapping,
    /// `tenant_claim`, split once.
    tenant: Option<ClaimPath>,
}

impl JwtProvider {
    /// The provider of an `oauth2_token` config that verifies JWTs: keys
    /// from `jwks.uri`, else from the issuer's discovery document (fetched
    /// when first needed). An error says which setting is unusable.
    pub fn new(config: &OAuth2Config) -> Result<Self, ProviderError> {
        JwtProvider::counted(config, None)
    }

    /// As [`new`](Self::new), its key fetches counted in `metrics`.
    pub(crate) fn counted(
        config: &OAuth2Config,
        metrics: Option<&Arc<crate::telemetry::metrics::Metrics>>,
    ) -> Result<Self, ProviderError> {
        let client = http::client(
            config.verify_tls,
            config.tls_cafile.as_deref(),
            config.timeout,
        )?;
        let timeout = Duration::from_secs_f64(config.timeout);
        let recheck = Duration::from_secs(
            config
                .jwks
                .as_ref()
                .map_or(JwksConfig::DEFAULT_KEY_RECHECK_PERIOD, |j| {
                    j.key_recheck_period
                }),
        );
        let source = match config.jwks.as_ref().and_then(|j| j.uri.as_deref()) {
            Some(uri) => {
                KeySource::Uri(reqwest::Url::parse(uri).map_err(|e| ProviderError::Url {
                    field: "jwks.uri",
                    reason: e.to_string(),
                })?)
            }
            None => {
                let issuer = config
                    .issuer
                    .as_ref()
                    .and_then(|i| i.single())
                    .ok_or(ProviderError::NoEndpoint { field: "jwks.uri" })?;
                KeySource::Discovered(Arc::new(Discovery::new(
                    issuer,
                    client.clone(),
                    recheck,
                    timeout,
                )?))
            }
        };
        Ok(JwtProvider {
            keys: Arc::new(
                KeyStore::new(
                    source,
                    config.jwks.as_ref().and_then(|j| j.token.clone()),
                    client,
                    recheck,
                    timeout,
                )
                .counted(metrics),
            ),
            audience: config.audience.clone(),
            issuer: config.issuer.clone(),
            typ: config.typ.clone(),
            mapping: ClaimsMapping::new(&config.claims_mapping),
            tenant: config.tenant_claim.as_deref().map(ClaimPath::new),
        })
    }

    fn invalid(reason: impl std::fmt::Display) -> AuthError {
        tracing::debug!(target: "webmethod::auth", reason = ?reason.to_string(), "JWT rejected");
        AuthError::Rejected("Invalid JWT token".into())
    }

    /// The token's header, if this verifier can act on it.
    pub(crate) fn header(&self, token: &str) -> Result<Header, AuthError> {
        // An unknown or absent algorithm (`none` included) fails here.
        let header = decode_header(token).map_err(Self::invalid)?;
        // RFC 7515 §4.1.11: `crit` lists extensions the verifier must
        // understand or reject the token; this verifier understands none.
        if header.crit.is_some() {
            return Err(Self::invalid("a `crit` header names an unknown extension"));
        }
        if let Some(expected) = &self.typ
            && !header
                .typ
                .as_deref()
                .is_some_and(|typ| typ_is(typ, expected))
        {
            return Err(Self::invalid(format!("`typ` is not {expected}")));
        }
        Ok(header)
    }

    /// Verifies the token with the key its header names: signature,
    /// audience, issuer and times; the user its claims give.
    pub(crate) fn verify(
        &self,
        token: &str,
        header: &Header,
        key: &Key,
    ) -> Result<User, AuthError> {
        if !key.algorithms.contains(&header.alg) {
            return Err(Self::invalid(format!(
                "algorithm {:?} does not fit the key",
                header.alg
            )));
        }
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_audience(&self.audience.0);
        let mut required = vec!["exp", "aud", "sub"];
        if let Some(issuer) = &self.issuer {
            // PyJWT, which llama-stack uses, also refuses a token without `iss`.
            validation.set_issuer(&issuer.0);
            required.push("iss");
        }
        validation.set_required_spec_claims(&required);
        let data = decode::<Value>(token, &key.decoding, &validation).map_err(Self::invalid)?;
        let claims = data.claims;
        let principal = match claims.get("sub") {
            Some(Value::String(sub)) if !sub.is_empty() => sub.clone(),
            _ => return Err(Self::invalid("`sub` is not a non-empty string")),
        };
        let exp = times(&claims).map_err(Self::invalid)?;
        let expires_at = claims::time_at(exp, LEEWAY_SECONDS)
            .ok_or_else(|| Self::invalid("`exp` out of range"))?;
        if expires_at <= SystemTime::now() {
            return Err(Self::invalid("expired"));
        }
        let user = User::new(principal, self.mapping.attributes(&claims));
        let mut user =
            claims::with_tenant(self.tenant.as_ref(), &claims, user)?.with_claims(claims);
        user.expires_at = Some(expires_at);
        Ok(user)
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
        let header = self.header(token)?;
        let key = self.keys.key(header.kid.as_deref()).await?;
        self.verify(token, &header, &key).map(Arc::new)
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

/// Checks the token's times beyond what the JWT library does: `exp`, `nbf`
/// and `iat` are whole seconds in range (no clock arithmetic can overflow),
/// and `iat` is not in the future (PyJWT's rule). The `exp`, which the
/// library already required.
fn times(claims: &Value) -> Result<u64, String> {
    let exp = claims::numeric_date(claims, "exp")?.ok_or("`exp` is missing")?;
    claims::numeric_date(claims, "nbf")?;
    if let Some(iat) = claims::numeric_date(claims, "iat")?
        && iat > claims::now_secs().saturating_add(LEEWAY_SECONDS)
    {
        return Err("`iat` is in the future".into());
    }
    Ok(exp)
}

/// Whether a `typ` header names `expected`: compared without case, and
/// `application/` may be left out (RFC 7515 §4.1.9).
fn typ_is(typ: &str, expected: &str) -> bool {
    let bare = |t: &str| {
        let t = t.trim();
        t.get(..12)
            .filter(|p| p.eq_ignore_ascii_case("application/"))
            .map_or(t, |_| &t[12..])
            .to_owned()
    };
    bare(typ).eq_ignore_ascii_case(&bare(expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typ_compares_like_rfc_7515() {
        assert!(typ_is("at+jwt", "at+jwt"));
        assert!(typ_is("application/at+JWT", "at+jwt"));
        assert!(typ_is("AT+JWT", "application/at+jwt"));
        assert!(!typ_is("JWT", "at+jwt"));
        assert!(!typ_is("application/", "at+jwt"));
    }

    #[test]
    fn times_in_range_and_iat_not_ahead() {
        let now = claims::now_secs();
        assert_eq!(
            times(&json!({"exp": now + 60, "iat": now, "nbf": now})),
            Ok(now + 60)
        );
        assert!(times(&json!({"exp": now + 60, "iat": now + 3600})).is_err());
        assert!(times(&json!({"exp": now + 60, "iat": now + LEEWAY_SECONDS})).is_ok());
        assert!(times(&json!({"exp": now + 60, "nbf": "soon"})).is_err());
        assert!(times(&json!({"exp": 10_000_000_000_000_000_000u64})).is_err());
        assert!(times(&json!({"iat": now})).is_err());
    }
}
