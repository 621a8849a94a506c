//! `type: github_token`: GitHub access tokens, checked with the GitHub API
//! (`/user`, then every page of `/user/orgs`), as llama-stack's provider does.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::header::ACCEPT;
use serde_json::{Value, json};

use super::ProviderError;
use super::endpoint;
use crate::authn::claims::ClaimsMapping;
use crate::authn::http;
use crate::authn::{AuthError, AuthProvider, RequestHead};
use crate::config::GithubConfig;
use crate::principal::User;

/// Organisations asked for per page, GitHub's maximum.
const ORGS_PER_PAGE: usize = 100;
/// Pages of organisations read at most, so a hostile API cannot loop us forever.
const MAX_ORG_PAGES: u32 = 100;
/// Tries per page of organisations before the request is refused.
const ORG_PAGE_ATTEMPTS: u32 = 2;
const GITHUB_MEDIA_TYPE: &str = "application/vnd.github.v3+json";
const REJECTED: &str = "GitHub token validation failed. Please check your token and try again.";

/// Validates GitHub personal access and OAuth tokens with the GitHub API.
pub(crate) struct GithubProvider {
    user_url: reqwest::Url,
    orgs_url: reqwest::Url,
    client: reqwest::Client,
    mapping: ClaimsMapping,
}

impl GithubProvider {
    /// The provider of a `github_token` config. An error says which setting
    /// is unusable (the base URL, the TLS options).
    pub(crate) fn new(config: &GithubConfig) -> Result<Self, ProviderError> {
        let at = |path| {
            endpoint::join(&config.github_api_base_url, path).map_err(|reason| ProviderError::Url {
                field: "github_api_base_url",
                reason,
            })
        };
        Ok(GithubProvider {
            user_url: at("/user")?,
            orgs_url: at("/user/orgs")?,
            client: http::client(
                config.verify_tls,
                config.tls_cafile.as_deref(),
                config.timeout,
            )?,
            mapping: ClaimsMapping::new(&config.claims_mapping),
        })
    }

    fn get(&self, url: reqwest::Url, token: &str) -> reqwest::RequestBuilder {
        // `bearer_auth` marks the header sensitive.
        self.client
            .get(url)
            .bearer_auth(token)
            .header(ACCEPT, GITHUB_MEDIA_TYPE)
    }

    /// The user's organisations, without duplicates, in GitHub's order, or
    /// 503: a user is never authenticated with fewer organisations than it
    /// has (a `not in teams` rule would pass). A page is asked at most
    /// [`ORG_PAGE_ATTEMPTS`] times.
    async fn organizations(&self, token: &str, login: &str) -> Result<Vec<String>, AuthError> {
        let mut orgs = Vec::new();
        let mut seen = HashSet::new();
        for page in 1..=MAX_ORG_PAGES {
            let mut attempt = 1;
            let items = loop {
                match self.org_page(token, page).await {
                    Ok(items) => break items,
                    Err(reason) if attempt < ORG_PAGE_ATTEMPTS => {
                        tracing::debug!(target: "webmethod::auth", login, page, ?reason, "GitHub organisations: asking again");
                        attempt += 1;
                    }
                    Err(reason) => {
                        tracing::warn!(
                            target: "webmethod::auth",
                            login,
                            page,
                            ?reason,
                            "GitHub organisations could not be read; the request is refused (503)"
                        );
                        return Err(http::unavailable());
                    }
                }
            };
            let last = items.len() < ORGS_PER_PAGE;
            for name in items
                .iter()
                .filter_map(|o| o.get("login").and_then(Value::as_str))
            {
                if seen.insert(name.to_owned()) {
                    orgs.push(name.to_owned());
                }
            }
            if last {
                return Ok(orgs);
            }
        }
        tracing::warn!(
            target: "webmethod::auth",
            login,
            "GitHub organisations: more than {MAX_ORG_PAGES} pages; the request is refused (503)"
        );
        Err(http::unavailable())
    }

    /// One page of `/user/orgs`; the error is a reason for the log.
    async fn org_page(&self, token: &str, page: u32) -> Result<Vec<Value>, String> {
        let mut url = self.orgs_url.clone();
        url.query_pairs_mut()
            .append_pair("per_page", &ORGS_PER_PAGE.to_string())
            .append_pair("page", &page.to_string());
        let response = self
            .get(url, token)
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("status {}", status.as_u16()));
        }
        let body = http::read_limited("GitHub organisations API", response)
            .await
            .map_err(|e| match e {
                AuthError::Rejected(m)
                | AuthError::Declined(m)
                | AuthError::Unavailable(m)
                | AuthError::Failed(m) => m,
            })?;
        match serde_json::from_slice(&body) {
            Ok(Value::Array(items)) => Ok(items),
            _ => Err("the answer is not a JSON list".into()),
        }
    }
}

#[async_trait]
impl AuthProvider for GithubProvider {
    async fn authenticate(
        &self,
        token: Option<&str>,
        _request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError> {
        let token = crate::authn::require_token(token)?;
        let response = self
            .get(self.user_url.clone(), token)
            .send()
            .await
            .map_err(|e| http::transport_error("GitHub user API", e))?;
        let status = response.status();
        if status.is_server_error() {
            // An outage, not a verdict on the token: 503, never cached.
            tracing::warn!(target: "webmethod::auth", status = status.as_u16(), "GitHub user API failed");
            return Err(http::unavailable());
        }
        if !status.is_success() {
            tracing::warn!(target: "webmethod::auth", status = status.as_u16(), "GitHub token validation failed");
            return Err(AuthError::Rejected(REJECTED.into()));
        }
        let body = http::read_limited("GitHub user API", response).await?;
        let user: Value = serde_json::from_slice(&body).map_err(|_| {
            AuthError::Rejected(
                "GitHub token validation failed: the GitHub API did not answer JSON".into(),
            )
        })?;
        let login = user
            .get("login")
            .and_then(Value::as_str)
            .filter(|l| !l.is_empty())
            .ok_or_else(|| {
                AuthError::Rejected(
                    "GitHub token validation failed: the GitHub API answered no login".into(),
                )
            })?;
        let mut claims = json!({ "login": login });
        match user.get("id") {
            Some(Value::Number(id)) => claims["id"] = json!(id.to_string()),
            Some(Value::String(id)) => claims["id"] = json!(id),
            _ => {}
        }
        claims["organizations"] = json!(self.organizations(token, login).await?);
        Ok(Arc::new(User::new(login, self.mapping.attributes(&claims))))
    }

    fn missing_credentials_message(&self) -> String {
        "Authentication required. Please provide a valid GitHub access token (https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens) in the Authorization header (Bearer <token>)".into()
    }

    fn name(&self) -> &'static str {
        "github_token"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(base: &str) -> GithubProvider {
        let config = GithubConfig {
            github_api_base_url: base.into(),
            claims_mapping: crate::config::default_github_claims(),
            verify_tls: true,
            tls_cafile: None,
            timeout: 1.0,
        };
        GithubProvider::new(&config).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn urls_under_the_base() {
        let p = provider("https://ghe.example/api/v3/");
        assert_eq!(p.user_url.as_str(), "https://ghe.example/api/v3/user");
        assert_eq!(p.orgs_url.as_str(), "https://ghe.example/api/v3/user/orgs");
        let p = provider("https://api.github.com");
        assert_eq!(p.user_url.as_str(), "https://api.github.com/user");
        assert_eq!(p.name(), "github_token");
    }

    #[test]
    fn a_base_that_is_no_url_is_a_config_error() {
        let config = GithubConfig {
            github_api_base_url: "api.github.com".into(),
            claims_mapping: crate::config::default_github_claims(),
            verify_tls: true,
            tls_cafile: None,
            timeout: 1.0,
        };
        let error = GithubProvider::new(&config)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.starts_with("github_api_base_url: "), "{error}");
    }
}
