//! The built-in providers, and building one from its config.

mod api_key;
mod custom;
mod discovery;
mod endpoint;
mod github;
mod introspection;
pub(crate) mod jwks;
mod jwt;
mod key_source;
mod kubernetes;
mod refresh;
mod upstream_header;

pub use api_key::ApiKeyProvider;
pub use custom::CustomProvider;
pub use discovery::{Discovery, Document};
pub use github::GithubProvider;
pub use introspection::IntrospectionProvider;
pub use jwks::{KeyStore, UNKNOWN_KID_REFRESH};
pub use jwt::JwtProvider;
pub use key_source::KeySource;
pub use kubernetes::KubernetesProvider;
pub use upstream_header::UpstreamHeaderProvider;

use std::sync::Arc;

use super::AuthProvider;
use crate::config::{ConfigError, ProviderConfig};

/// The provider a config describes. `path` locates the config for errors.
pub fn from_config(
    config: &ProviderConfig,
    path: &str,
) -> Result<Arc<dyn AuthProvider>, ConfigError> {
    counted_from_config(config, path, None)
}

/// As [`from_config`], what the provider counts (its JWKS fetches) counted
/// in `metrics`.
pub(crate) fn counted_from_config(
    config: &ProviderConfig,
    path: &str,
    metrics: Option<&Arc<crate::telemetry::metrics::Metrics>>,
) -> Result<Arc<dyn AuthProvider>, ConfigError> {
    Ok(match config {
        ProviderConfig::Custom(c) => {
            Arc::new(CustomProvider::new(c).map_err(|e| ConfigError::field(path, e))?)
        }
        ProviderConfig::UpstreamHeader(c) => Arc::new(UpstreamHeaderProvider::new(c)),
        ProviderConfig::ApiKeys(c) => Arc::new(ApiKeyProvider::new(c).map_err(|e| e.under(path))?),
        ProviderConfig::OAuth2Token(c) if c.verifies_jwts() => {
            Arc::new(JwtProvider::counted(c, metrics).map_err(|e| ConfigError::field(path, e))?)
        }
        ProviderConfig::OAuth2Token(c) => {
            Arc::new(IntrospectionProvider::new(c).map_err(|e| ConfigError::field(path, e))?)
        }
        ProviderConfig::GithubToken(c) => {
            Arc::new(GithubProvider::new(c).map_err(|e| ConfigError::field(path, e))?)
        }
        ProviderConfig::Kubernetes(c) => {
            Arc::new(KubernetesProvider::new(c).map_err(|e| ConfigError::field(path, e))?)
        }
    })
}
