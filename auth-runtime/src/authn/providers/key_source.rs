//! Where a JWKS endpoint is: configured, or read from the issuer's OIDC
//! discovery document. Apart from [`super::jwks`] so that the key store and
//! the discovery document, both kept by [`super::refresh`], know nothing of
//! each other.

use std::sync::Arc;

use super::discovery::Discovery;

/// Where the keys are: a configured `jwks.uri`, or the `jwks_uri` of the
/// issuer's discovery document.
pub(crate) enum KeySource {
    /// `jwks.uri`, as configured.
    Uri(reqwest::Url),
    /// The `jwks_uri` of this discovery document, read when the keys are fetched.
    Discovered(Arc<Discovery>),
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // Logged: never the URL's credentials.
            KeySource::Uri(uri) => crate::authn::redact::Url(uri.as_str()).fmt(f),
            KeySource::Discovered(_) => f.write_str("(from OIDC discovery)"),
        }
    }
}

impl KeySource {
    pub(crate) async fn uri(&self) -> Result<reqwest::Url, String> {
        match self {
            KeySource::Uri(uri) => Ok(uri.clone()),
            KeySource::Discovered(discovery) => discovery
                .document()
                .await
                .map_err(|_| "OIDC discovery failed".to_owned())?
                .jwks_uri
                .clone()
                .ok_or_else(|| "the discovery document has no jwks_uri".to_owned()),
        }
    }
}
