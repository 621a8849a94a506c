//! `type: oauth2_token` with `introspection`: RFC 7662 token introspection,
//! client credentials in HTTP Basic auth or in the form body.

use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use serde_json::Value;

use crate::authn::claims::{self, ClaimsMapping};
use crate::authn::http;
use crate::authn::{AuthError, AuthProvider, RequestHead};
use crate::config::OAuth2Config;
use crate::principal::User;

/// Asks an introspection endpoint about each token.
pub struct IntrospectionProvider {
    url: reqwest::Url,
    client_id: String,
    client_secret: String,
    secret_in_body: bool,
    client: reqwest::Client,
    audience: String,
    issuer: Option<String>,
    mapping: ClaimsMapping,
}

impl IntrospectionProvider {
    pub fn new(config: &OAuth2Config) -> Result<Self, String> {
        let i = config
            .introspection
            .as_ref()
            .ok_or("introspection is not configured")?;
        Ok(IntrospectionProvider {
            url: reqwest::Url::parse(&i.url).map_err(|e| format!("introspection.url: {e}"))?,
            client_id: i.client_id.clone(),
            client_secret: i.client_secret.clone(),
            secret_in_body: i.send_secret_in_body,
            client: http::client(
                config.verify_tls,
                config.tls_cafile.as_deref(),
                config.timeout,
            )?,
            audience: config.audience.clone(),
            issuer: config.issuer.clone(),
            mapping: ClaimsMapping::new(&config.claims_mapping),
        })
    }

    /// `aud` and `iss`, when the answer carries them (both optional in RFC
    /// 7662): the token must be meant for this API and come from the
    /// configured issuer.
    fn check(&self, fields: &Value) -> Result<(), AuthError> {
        let audience_fits = match fields.get("aud") {
            None | Some(Value::Null) => true,
            Some(Value::String(aud)) => *aud == self.audience,
            Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(&self.audience)),
            Some(_) => false,
        };
        if !audience_fits {
            return Err(AuthError::Rejected("Invalid token audience".into()));
        }
        if let (Some(issuer), Some(iss)) = (&self.issuer, fields.get("iss"))
            && iss.as_str() != Some(issuer.as_str())
        {
            return Err(AuthError::Rejected("Invalid token issuer".into()));
        }
        Ok(())
    }

    fn host(&self) -> String {
        crate::authn::http::host_of(&self.url)
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
        let mut request = self.client.post(self.url.clone());
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
        let mut user = User::new(principal, self.mapping.attributes(&fields));
        user.expires_at = expiry(&fields)?;
        Ok(Arc::new(user))
    }

    fn missing_credentials_message(&self) -> String {
        format!(
            "Authentication required. Please provide a valid OAuth2 Bearer token validated by {}",
            self.host()
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
