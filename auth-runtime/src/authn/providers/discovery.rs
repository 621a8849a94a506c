//! OIDC discovery (OpenID Connect Discovery 1.0, RFC 8414): an
//! `oauth2_token` provider configured with its `issuer` alone reads
//! `{issuer}/.well-known/openid-configuration` for its `jwks_uri` and
//! `introspection_endpoint`.
//!
//! The document must name the configured issuer exactly, or it is refused.
//! It is read again on the JWKS schedule (`key_recheck_period`). One fetch at
//! a time; after a failure none starts for the cooldown, and while there is no
//! good document protected requests answer 503. A document read before keeps
//! serving while the issuer is down.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::ProviderError;
use super::refresh::{Ask, COOLDOWN, Refresher};
use crate::authn::redact::Url;
use crate::authn::{AuthError, http};

/// What webmethod reads of a discovery document.
#[derive(Debug)]
pub(crate) struct Document {
    /// `jwks_uri`: where the issuer's signing keys are.
    pub jwks_uri: Option<reqwest::Url>,
    /// `introspection_endpoint`: the issuer's RFC 7662 endpoint.
    pub introspection_endpoint: Option<reqwest::Url>,
}

/// An issuer's discovery document, fetched when needed.
pub(crate) struct Discovery {
    issuer: String,
    url: reqwest::Url,
    client: reqwest::Client,
    document: Refresher<Document>,
}

impl Discovery {
    /// The document of `issuer` (an http(s) URL).
    pub(crate) fn new(
        issuer: &str,
        client: reqwest::Client,
        recheck: Duration,
        timeout: Duration,
    ) -> Result<Self, ProviderError> {
        let url = reqwest::Url::parse(&format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ))
        .map_err(|e| ProviderError::Url {
            field: "issuer",
            reason: e.to_string(),
        })?;
        Ok(Discovery {
            issuer: issuer.to_owned(),
            url,
            client,
            document: Refresher::new("OIDC discovery", Url(issuer), recheck, timeout, COOLDOWN),
        })
    }

    /// The document: the one read within `key_recheck_period`, else a fresh
    /// one. While the issuer fails, the last good one, or 503 without one.
    pub(crate) async fn document(&self) -> Result<Arc<Document>, AuthError> {
        if let Some(document) = self
            .document
            .current()
            .filter(|d| self.document.is_fresh(d))
        {
            return Ok(document.value);
        }
        self.document
            .refresh(Ask::Due, self.fetch())
            .await
            .value
            .map(|d| d.value)
            .ok_or_else(http::unavailable)
    }

    /// One fetch; the error says why, for the log.
    async fn fetch(&self) -> Result<Document, String> {
        let response = self
            .client
            .get(self.url.clone())
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        if !response.status().is_success() {
            return Err(format!("status {}", response.status().as_u16()));
        }
        let body = http::read_limited("OIDC discovery", response)
            .await
            .map_err(|e| format!("{e:?}"))?;
        #[derive(Deserialize)]
        struct Raw {
            issuer: String,
            jwks_uri: Option<String>,
            introspection_endpoint: Option<String>,
        }
        let raw: Raw =
            serde_json::from_slice(&body).map_err(|e| format!("not a discovery document: {e}"))?;
        // OpenID Connect Discovery §4.3: exactly the issuer asked about.
        if raw.issuer != self.issuer {
            return Err(format!(
                "the document names issuer {:?}, not the configured one",
                Url(&raw.issuer)
            ));
        }
        let url = |field: &str, value: Option<String>| {
            value
                .map(|v| {
                    reqwest::Url::parse(&v)
                        .ok()
                        .filter(|u| matches!(u.scheme(), "http" | "https"))
                        .ok_or_else(|| format!("`{field}` is not an http(s) URL"))
                })
                .transpose()
        };
        Ok(Document {
            jwks_uri: url("jwks_uri", raw.jwks_uri)?,
            introspection_endpoint: url("introspection_endpoint", raw.introspection_endpoint)?,
        })
    }
}
