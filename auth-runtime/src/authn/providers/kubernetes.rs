//! `type: kubernetes`: tokens checked with a SelfSubjectReview against the
//! Kubernetes API server, as llama-stack's provider does.

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::ProviderError;
use super::endpoint;
use crate::authn::claims::{ClaimPath, ClaimsMapping};
use crate::authn::http;
use crate::authn::{AuthError, AuthProvider, RequestHead};
use crate::config::KubernetesConfig;
use crate::principal::User;

const REVIEW_PATH: &str = "/apis/authentication.k8s.io/v1/selfsubjectreviews";

/// Validates tokens by asking the API server who they belong to.
pub(crate) struct KubernetesProvider {
    api_server_url: String,
    review_url: reqwest::Url,
    client: reqwest::Client,
    mapping: ClaimsMapping,
    /// `tenant_claim`, split once.
    tenant: Option<ClaimPath>,
}

impl KubernetesProvider {
    /// The provider of a `kubernetes` config. An error says which setting is
    /// unusable (the API server URL, the TLS options).
    pub(crate) fn new(config: &KubernetesConfig) -> Result<Self, ProviderError> {
        Ok(KubernetesProvider {
            // Shown in the 401 hint: never the URL's credentials.
            api_server_url: crate::authn::redact::url(&config.api_server_url).into_owned(),
            review_url: endpoint::join(&config.api_server_url, REVIEW_PATH).map_err(|reason| {
                ProviderError::Url {
                    field: "api_server_url",
                    reason,
                }
            })?,
            client: http::client(
                config.verify_tls,
                config.tls_cafile.as_deref(),
                config.timeout,
            )?,
            mapping: ClaimsMapping::new(&config.claims_mapping),
            tenant: config.tenant_claim.as_deref().map(ClaimPath::new),
        })
    }
}

#[async_trait]
impl AuthProvider for KubernetesProvider {
    async fn authenticate(
        &self,
        token: Option<&str>,
        _request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError> {
        let token = crate::authn::require_token(token)?;
        let review = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
        let response = self
            .client
            .post(self.review_url.clone())
            // `bearer_auth` marks the header sensitive.
            .bearer_auth(token)
            .json(&review)
            .send()
            .await
            .map_err(|e| http::transport_error("Kubernetes SelfSubjectReview", e))?;
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED {
            return Err(AuthError::Rejected("Invalid token".into()));
        }
        if status.is_server_error() {
            // An outage, not a verdict on the token: 503, never cached.
            tracing::warn!(
                target: "webmethod::auth",
                status = status.as_u16(),
                "Kubernetes API server failed"
            );
            return Err(http::unavailable());
        }
        if status != StatusCode::CREATED {
            tracing::warn!(
                target: "webmethod::auth",
                status = status.as_u16(),
                "Kubernetes SelfSubjectReview API failed"
            );
            return Err(AuthError::Rejected(format!(
                "Token validation failed: {}",
                status.as_u16()
            )));
        }
        let body = http::read_limited("Kubernetes SelfSubjectReview", response).await?;
        let review: Value = serde_json::from_slice(&body)
            .map_err(|_| invalid("SelfSubjectReview response is not JSON"))?;
        let user_info = user_info(&review)?;
        let username = user_info
            .get("username")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .ok_or_else(|| invalid("No username found in SelfSubjectReview response"))?;
        let user = User::new(username, self.mapping.attributes(user_info));
        let user = match &self.tenant {
            Some(path) => path.tenant_in_list(user_info, user)?,
            None => user,
        };
        Ok(Arc::new(user))
    }

    fn missing_credentials_message(&self) -> String {
        format!(
            "Authentication required. Please provide a valid Kubernetes token for {}",
            self.api_server_url
        )
    }

    fn name(&self) -> &'static str {
        "kubernetes"
    }
}

/// `status.userInfo` of a review; each must be a non-empty object.
fn user_info(review: &Value) -> Result<&Value, AuthError> {
    let non_empty = |v: &&Value| v.as_object().is_some_and(|o| !o.is_empty());
    review
        .get("status")
        .filter(non_empty)
        .ok_or_else(|| invalid("No status found in SelfSubjectReview response"))?
        .get("userInfo")
        .filter(non_empty)
        .ok_or_else(|| invalid("No userInfo found in SelfSubjectReview response"))
}

fn invalid(reason: &str) -> AuthError {
    AuthError::Rejected(format!("Token validation error: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_in_logs_and_metrics() {
        let config: KubernetesConfig = serde_json::from_value(json!({
            "api_server_url": "https://127.0.0.1:6443", "verify_tls": false
        }))
        .unwrap();
        assert_eq!(
            KubernetesProvider::new(&config).unwrap().name(),
            "kubernetes"
        );
    }

    fn reason(review: Value) -> String {
        match user_info(&review) {
            Ok(info) => format!("ok {info}"),
            Err(AuthError::Rejected(m)) => m,
            Err(other) => format!("{other:?}"),
        }
    }

    #[test]
    fn user_info_must_be_there() {
        assert_eq!(
            reason(json!({"kind": "SelfSubjectReview"})),
            "Token validation error: No status found in SelfSubjectReview response"
        );
        assert_eq!(
            reason(json!({"status": {}})),
            "Token validation error: No status found in SelfSubjectReview response"
        );
        assert_eq!(
            reason(json!({"status": "yes"})),
            "Token validation error: No status found in SelfSubjectReview response"
        );
        assert_eq!(
            reason(json!({"status": {"userInfo": {}}})),
            "Token validation error: No userInfo found in SelfSubjectReview response"
        );
        assert_eq!(
            reason(json!({"status": {"userInfo": {"username": "u"}}})),
            r#"ok {"username":"u"}"#
        );
    }

    #[test]
    fn review_url_and_hint() {
        let config = KubernetesConfig {
            api_server_url: "https://k8s.example:6443/".into(),
            verify_tls: true,
            tls_cafile: None,
            claims_mapping: crate::config::default_kubernetes_claims(),
            tenant_claim: None,
            timeout: 1.0,
        };
        let provider = KubernetesProvider::new(&config).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            provider.review_url.as_str(),
            "https://k8s.example:6443/apis/authentication.k8s.io/v1/selfsubjectreviews"
        );
        assert_eq!(
            provider.missing_credentials_message(),
            "Authentication required. Please provide a valid Kubernetes token for https://k8s.example:6443/"
        );
    }
}
