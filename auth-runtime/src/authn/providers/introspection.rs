//! `type: oauth2_token` with `introspection`: RFC 7662 token introspection,
//! client credentials in HTTP Basic auth or in the form body.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use async_trait::async_trait;
use serde_json::Value;

use crate::authn::claims::ClaimsMapping;
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
            mapping: ClaimsMapping::new(&config.claims_mapping),
        })
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
        let principal = ["sub", "username"]
            .iter()
            .find_map(|k| {
                fields
                    .get(*k)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
            })
            .ok_or_else(|| AuthError::Rejected("Token introspection error".into()))?;
        let mut user = User::new(principal, self.mapping.attributes(&fields));
        user.expires_at = fields
            .get("exp")
            .and_then(Value::as_u64)
            .map(|exp| UNIX_EPOCH + Duration::from_secs(exp));
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
