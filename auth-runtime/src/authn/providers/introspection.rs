//! `type: oauth2_token` with `introspection`: RFC 7662 token introspection,
//! client credentials in HTTP Basic auth or in the form body.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use serde_json::Value;

use super::ProviderError;
use super::discovery::Discovery;
use crate::authn::claims::{self, ClaimPath, ClaimsMapping};
use crate::authn::http;
use crate::authn::{AuthError, AuthProvider, RequestHead};
use crate::config::{JwksConfig, OAuth2Config, OneOrMany};
use crate::principal::User;

/// The introspection endpoint: configured, or from the issuer's discovery.
enum Endpoint {
    Url(reqwest::Url),
    Discovered(Arc<Discovery>),
}

/// Asks an introspection endpoint about each token.
pub(crate) struct IntrospectionProvider {
    endpoint: Endpoint,
    /// `host[:port]` of the endpoint (or of the issuer it is discovered
    /// from), for the hint without credentials.
    host: String,
    client_id: String,
    client_secret: String,
    secret_in_body: bool,
    client: reqwest::Client,
    audience: OneOrMany,
    issuer: Option<OneOrMany>,
    mapping: ClaimsMapping,
    /// `tenant_claim`, split once.
    tenant: Option<ClaimPath>,
}

impl IntrospectionProvider {
    /// The provider of an `oauth2_token` config with `introspection`: the
    /// endpoint from `introspection.url`, else from the issuer's discovery
    /// document. An error says which setting is unusable.
    pub(crate) fn new(config: &OAuth2Config) -> Result<Self, ProviderError> {
        let i = config
            .introspection
            .as_ref()
            .ok_or(ProviderError::NoIntrospection)?;
        let client = http::client(
            config.verify_tls,
            config.tls_cafile.as_deref(),
            config.timeout,
        )?;
        let (endpoint, host) = match &i.url {
            Some(url) => {
                let url = reqwest::Url::parse(url).map_err(|e| ProviderError::Url {
                    field: "introspection.url",
                    reason: e.to_string(),
                })?;
                let host = http::host_of(&url);
                (Endpoint::Url(url), host)
            }
            None => {
                let issuer = config.issuer.as_ref().and_then(|i| i.single()).ok_or(
                    ProviderError::NoEndpoint {
                        field: "introspection.url",
                    },
                )?;
                let host = reqwest::Url::parse(issuer)
                    .map(|u| http::host_of(&u))
                    .map_err(|e| ProviderError::Url {
                        field: "issuer",
                        reason: e.to_string(),
                    })?;
                let discovery = Discovery::new(
                    issuer,
                    client.clone(),
                    Duration::from_secs(JwksConfig::DEFAULT_KEY_RECHECK_PERIOD),
                    Duration::from_secs_f64(config.timeout),
                )?;
                (Endpoint::Discovered(Arc::new(discovery)), host)
            }
        };
        Ok(IntrospectionProvider {
            endpoint,
            host,
            client_id: i.client_id.clone(),
            client_secret: i.client_secret.clone(),
            secret_in_body: i.send_secret_in_body,
            client,
            audience: config.audience.clone(),
            issuer: config.issuer.clone(),
            mapping: ClaimsMapping::new(&config.claims_mapping),
            tenant: config.tenant_claim.as_deref().map(ClaimPath::new),
        })
    }

    /// `aud` and `iss`, when the answer carries them (both optional in RFC
    /// 7662): the token must be meant for this API and come from the
    /// configured issuer.
    fn check(&self, fields: &Value) -> Result<(), AuthError> {
        let audience_fits = match fields.get("aud") {
            None | Some(Value::Null) => true,
            Some(Value::String(aud)) => self.audience.contains(aud),
            Some(Value::Array(auds)) => auds
                .iter()
                .any(|a| a.as_str().is_some_and(|a| self.audience.contains(a))),
            Some(_) => false,
        };
        if !audience_fits {
            return Err(AuthError::Rejected("Invalid token audience".into()));
        }
        if let (Some(issuer), Some(iss)) = (&self.issuer, fields.get("iss"))
            && !iss.as_str().is_some_and(|iss| issuer.contains(iss))
        {
            return Err(AuthError::Rejected("Invalid token issuer".into()));
        }
        Ok(())
    }
}

#[async_trait]
impl AuthProvider for IntrospectionProvider {
    async fn authenticate(
        &self,
        token: Option<&str>,
        _request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError> {
        let token = crate::authn::require_token(token)?;
        let mut form = vec![("token", token)];
        let url = match &self.endpoint {
            Endpoint::Url(url) => url.clone(),
            Endpoint::Discovered(discovery) => discovery
                .document()
                .await?
                .introspection_endpoint
                .clone()
                .ok_or_else(|| {
                    tracing::warn!(target: "webmethod::auth", "the OIDC discovery document names no introspection_endpoint");
                    http::unavailable()
                })?,
        };
        let mut request = self.client.post(url);
        if self.secret_in_body {
            form.push(("client_id", &self.client_id));
            form.push(("client_secret", &self.client_secret));
        } else {
            request = request.basic_auth(&self.client_id, Some(&self.client_secret));
        }
        let response = request
            .form(&form)
            .send()
            .await
            .map_err(|e| http::transport_error("token introspection", e))?;
        let status = response.status();
        if status.is_server_error() {
            // An outage, not a verdict on the token: 503, never cached.
            tracing::warn!(target: "webmethod::auth", status = status.as_u16(), "token introspection endpoint failed");
            return Err(http::unavailable());
        }
        if status != reqwest::StatusCode::OK {
            return Err(AuthError::Rejected(format!(
                "Token introspection failed: {}",
                status.as_u16()
            )));
        }
        let body = http::read_limited("token introspection", response).await?;
        let fields: Value = serde_json::from_slice(&body)
            .map_err(|_| AuthError::Rejected("Token introspection error".into()))?;
        if fields.get("active").and_then(Value::as_bool) != Some(true) {
            return Err(AuthError::Rejected("Token not active".into()));
        }
        self.check(&fields)?;
        let (claim, principal) = principal(&fields)
            .ok_or_else(|| AuthError::Rejected("Token introspection error".into()))?;
        tracing::debug!(target: "webmethod::auth", claim, "introspection: principal taken from this claim");
        let expires_at = expiry(&fields)?;
        let user = User::new(principal, self.mapping.attributes(&fields));
        let mut user =
            claims::with_tenant(self.tenant.as_ref(), &fields, user)?.with_claims(fields);
        user.expires_at = expires_at;
        Ok(Arc::new(user))
    }

    fn missing_credentials_message(&self) -> String {
        format!(
            "Authentication required. Please provide a valid OAuth2 Bearer token validated by {}",
            self.host
        )
    }

    fn name(&self) -> &'static str {
        "oauth2_token"
    }
}

/// The claim that names the caller, and its value: `sub`, else `username`,
/// else `client_id` (a client-credentials token has only a client; RFC 9068
/// makes it the subject of such a JWT).
fn principal(fields: &Value) -> Option<(&'static str, &str)> {
    ["sub", "username", "client_id"]
        .into_iter()
        .find_map(|claim| {
            let value = fields.get(claim)?.as_str().filter(|s| !s.is_empty())?;
            Some((claim, value))
        })
}

/// When the token expires, from `exp`; the times must be whole seconds in
/// range, `exp` in the future and `nbf` not.
fn expiry(fields: &Value) -> Result<Option<SystemTime>, AuthError> {
    let invalid = |reason: String| {
        tracing::debug!(target: "webmethod::auth", ?reason, "introspection answer refused");
        AuthError::Rejected("Invalid token".into())
    };
    claims::numeric_date(fields, "iat").map_err(invalid)?;
    if let Some(nbf) = claims::numeric_date(fields, "nbf").map_err(invalid)?
        && nbf > claims::now_secs().saturating_add(super::jwt::LEEWAY_SECONDS)
    {
        return Err(invalid("`nbf` is in the future".into()));
    }
    let Some(exp) = claims::numeric_date(fields, "exp").map_err(invalid)? else {
        return Ok(None);
    };
    let at = claims::time_at(exp, 0).ok_or_else(|| invalid("`exp` out of range".into()))?;
    if at <= SystemTime::now() {
        return Err(AuthError::Rejected("Token expired".into()));
    }
    Ok(Some(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn principal_from_sub_then_username_then_client_id() {
        assert_eq!(
            principal(&json!({"sub": "s", "username": "u", "client_id": "c"})),
            Some(("sub", "s"))
        );
        assert_eq!(
            principal(&json!({"sub": "", "username": "u", "client_id": "c"})),
            Some(("username", "u"))
        );
        assert_eq!(
            principal(&json!({"client_id": "machine"})),
            Some(("client_id", "machine"))
        );
        assert_eq!(principal(&json!({"sub": 5})), None);
        assert_eq!(principal(&json!({})), None);
    }

    #[test]
    fn nbf_may_be_ahead_by_the_leeway_and_no_more() {
        let now = claims::now_secs();
        let leeway = super::super::jwt::LEEWAY_SECONDS;
        assert!(expiry(&json!({"nbf": now + leeway})).is_ok());
        assert!(expiry(&json!({"nbf": now + leeway + 2})).is_err());
    }

    #[test]
    fn times_are_checked_never_overflow() {
        let now = claims::now_secs();
        assert!(matches!(expiry(&json!({})), Ok(None)));
        assert!(matches!(expiry(&json!({"exp": now + 60})), Ok(Some(_))));
        for bad in [
            json!({"exp": 10_000_000_000_000_000_000u64}),
            json!({"exp": 9_223_372_036_854_775_808u64}),
            json!({"exp": -1}),
            json!({"exp": 1.5}),
            json!({"exp": "tomorrow"}),
            json!({"exp": now + 60, "iat": 1e19}),
            json!({"exp": now + 60, "nbf": now + 3600}),
        ] {
            assert_eq!(
                expiry(&bad).err(),
                Some(AuthError::Rejected("Invalid token".into())),
                "{bad}"
            );
        }
        assert_eq!(
            expiry(&json!({"exp": 0})).err(),
            Some(AuthError::Rejected("Token expired".into()))
        );
    }
}
