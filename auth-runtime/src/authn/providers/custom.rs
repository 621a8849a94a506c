//! `type: custom`: POST each token, with the request's context, to an endpoint
//! of yours, as llama-stack's custom provider does.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::http::header::AUTHORIZATION;
use serde::{Deserialize, Serialize};

use super::ProviderError;
use crate::authn::claims::ClaimPath;
use crate::authn::http;
use crate::authn::{AuthError, AuthProvider, RequestHead};
use crate::config::CustomConfig;
use crate::principal::{Attributes, User};

/// The largest answer read from the endpoint.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Names the endpoint in logged failures.
const CONTEXT: &str = "custom auth endpoint";

/// Validates tokens with an HTTP endpoint.
pub(crate) struct CustomProvider {
    /// Parsed once; each request reuses it.
    endpoint: axum::http::Uri,
    /// `Authorization: Basic` from the endpoint URL's userinfo, as httpx
    /// (llama-stack's client) and reqwest send it; the URI itself goes
    /// without it, so that no log of the HTTP client shows it.
    basic_auth: Option<axum::http::HeaderValue>,
    host: String,
    client: http::LeanClient,
    /// `tenant_field`, split once.
    tenant: Option<ClaimPath>,
}

/// What the endpoint receives.
#[derive(Serialize)]
struct AuthRequest<'a> {
    api_key: &'a str,
    request: AuthRequestContext<'a>,
}

#[derive(Serialize)]
struct AuthRequestContext<'a> {
    path: String,
    /// Every header but `authorization`.
    headers: BTreeMap<&'a str, String>,
    /// Query parameters, each with all its values.
    params: BTreeMap<String, Vec<String>>,
}

/// What the endpoint answers on 200.
#[derive(Deserialize)]
struct AuthResponse {
    principal: String,
    #[serde(default)]
    attributes: Option<Attributes>,
    #[serde(default)]
    #[allow(dead_code)]
    message: Option<String>,
}

impl CustomProvider {
    /// The provider of a `custom` config: `endpoint` must be an `http` or
    /// `https` URL. An error says which setting is unusable.
    pub(crate) fn new(config: &CustomConfig) -> Result<Self, ProviderError> {
        let endpoint_error = |reason: String| ProviderError::Url {
            field: "endpoint",
            reason,
        };
        let url =
            reqwest::Url::parse(&config.endpoint).map_err(|e| endpoint_error(e.to_string()))?;
        // An http(s) URL, hence a host for the hint below.
        if !matches!(url.scheme(), "http" | "https") {
            return Err(endpoint_error("must be an http or https URL".into()));
        }
        let basic_auth = basic_auth(&url);
        let mut url = url;
        // Cannot fail on an http(s) URL with a host.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let endpoint = url
            .as_str()
            .parse()
            .map_err(|e: axum::http::uri::InvalidUri| endpoint_error(e.to_string()))?;
        Ok(CustomProvider {
            endpoint,
            basic_auth,
            host: http::host_of(&url),
            client: http::LeanClient::new(config.timeout)?,
            tenant: config.tenant_field.as_deref().map(ClaimPath::new),
        })
    }
}

/// `Basic base64(user:password)` of a URL with userinfo (percent-decoded).
fn basic_auth(url: &reqwest::Url) -> Option<axum::http::HeaderValue> {
    use base64::Engine as _;
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |s: &str| percent_encoding::percent_decode_str(s).collect::<Vec<u8>>();
    let mut pair = decode(url.username());
    pair.push(b':');
    pair.extend(decode(url.password().unwrap_or_default()));
    let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
    let mut value = axum::http::HeaderValue::try_from(format!("Basic {encoded}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

#[async_trait]
impl AuthProvider for CustomProvider {
    async fn authenticate(
        &self,
        token: Option<&str>,
        request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError> {
        let token = crate::authn::require_token(token)?;
        let body = AuthRequest {
            api_key: token,
            request: context(request),
        };
        let body =
            serde_json::to_vec(&body).map_err(|e| AuthError::Failed(format!("{CONTEXT}: {e}")))?;
        let (status, bytes) = self
            .client
            .post_json(
                CONTEXT,
                &self.endpoint,
                self.basic_auth.as_ref(),
                body,
                MAX_RESPONSE_BYTES,
            )
            .await?;
        if status.is_server_error() {
            // llama-stack's 401 for a non-200, but the endpoint's own words
            // stay out of the answer (they may describe its insides), and
            // the answer is not cached: the endpoint may recover.
            tracing::warn!(target: "webmethod::auth", status = status.as_u16(), "{CONTEXT} failed");
            return Err(AuthError::Declined(format!(
                "Authentication failed: {}",
                status.as_u16()
            )));
        }
        if status != axum::http::StatusCode::OK {
            // The endpoint's own reason when it gives one, else the status.
            let message = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
                .filter(|m| !m.trim().is_empty())
                .unwrap_or_else(|| format!("Authentication failed: {}", status.as_u16()));
            return Err(AuthError::Rejected(message));
        }
        let answer: AuthResponse = serde_json::from_slice(&bytes)
            .map_err(|_| AuthError::Rejected("Invalid authentication response format".into()))?;
        if answer.principal.is_empty() {
            return Err(AuthError::Rejected(
                "Invalid authentication response format".into(),
            ));
        }
        let user = User::new(answer.principal, answer.attributes.unwrap_or_default());
        let user = match &self.tenant {
            // The answer read again, as JSON, only when a tenant is configured.
            Some(path) => {
                let fields: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| {
                    AuthError::Rejected("Invalid authentication response format".into())
                })?;
                path.tenant(&fields, user)?
            }
            None => user,
        };
        Ok(Arc::new(user))
    }

    fn missing_credentials_message(&self) -> String {
        format!(
            "Authentication required. Please provide your API key as a Bearer token (validated by {})",
            self.host
        )
    }

    fn name(&self) -> &'static str {
        "custom"
    }
}

/// Path (percent-decoded), headers without `authorization` (the last value of a
/// repeated header wins), and query parameters with blank values dropped: what
/// llama-stack sends.
fn context<'a>(request: RequestHead<'a>) -> AuthRequestContext<'a> {
    let path = percent_encoding::percent_decode_str(request.uri.path())
        .decode_utf8_lossy()
        .into_owned();
    let headers = request
        .headers
        .iter()
        .filter(|(name, _)| *name != AUTHORIZATION)
        .map(|(name, value)| {
            (
                name.as_str(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut params: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if let Some(query) = request.uri.query() {
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if !value.is_empty() {
                params
                    .entry(key.into_owned())
                    .or_default()
                    .push(value.into_owned());
            }
        }
    }
    AuthRequestContext {
        path,
        headers,
        params,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(endpoint: &str) -> CustomConfig {
        serde_json::from_value(serde_json::json!({"endpoint": endpoint})).unwrap()
    }

    #[test]
    fn names_its_endpoint_in_the_hint_and_itself_in_logs() {
        let provider = CustomProvider::new(&config("http://auth.internal:8080/validate")).unwrap();
        assert_eq!(
            provider.missing_credentials_message(),
            "Authentication required. Please provide your API key as a Bearer token (validated by auth.internal:8080)"
        );
        assert_eq!(provider.name(), "custom");
    }

    #[test]
    fn only_http_endpoints() {
        for endpoint in ["file:///validate", "unix:/run/auth.sock", "not a url"] {
            assert!(
                CustomProvider::new(&config(endpoint)).is_err(),
                "{endpoint}"
            );
        }
    }
}
