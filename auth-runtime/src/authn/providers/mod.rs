//! The built-in providers, and building one from its config.

mod api_key;
mod custom;
mod discovery;
mod endpoint;
mod error;
mod github;
mod introspection;
pub(crate) mod jwks;
mod jwt;
mod key_source;
mod kubernetes;
mod refresh;
mod upstream_header;

pub(crate) use api_key::ApiKeyProvider;
pub(crate) use custom::CustomProvider;
pub(crate) use error::ProviderError;
pub(crate) use github::GithubProvider;
pub(crate) use introspection::IntrospectionProvider;
pub use jwt::JwtProvider;
pub(crate) use kubernetes::KubernetesProvider;
pub(crate) use upstream_header::UpstreamHeaderProvider;

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
        ProviderConfig::Custom(c) => Arc::new(CustomProvider::new(c).map_err(|e| e.at(path))?),
        ProviderConfig::UpstreamHeader(c) => Arc::new(UpstreamHeaderProvider::new(c)),
        ProviderConfig::ApiKeys(c) => Arc::new(ApiKeyProvider::new(c).map_err(|e| e.at(path))?),
        ProviderConfig::OAuth2Token(c) if c.verifies_jwts() => {
            Arc::new(JwtProvider::counted(c, metrics).map_err(|e| e.at(path))?)
        }
        ProviderConfig::OAuth2Token(c) => {
            Arc::new(IntrospectionProvider::new(c).map_err(|e| e.at(path))?)
        }
        ProviderConfig::GithubToken(c) => Arc::new(GithubProvider::new(c).map_err(|e| e.at(path))?),
        ProviderConfig::Kubernetes(c) => {
            Arc::new(KubernetesProvider::new(c).map_err(|e| e.at(path))?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name the logs and metrics use: `oauth2_token`, whether the
    /// provider verifies JWTs or asks an introspection endpoint.
    #[test]
    fn both_oauth2_forms_are_named_oauth2_token() {
        for provider in [
            "type: oauth2_token\njwks: {uri: 'https://issuer.test/jwks'}\n",
            "type: oauth2_token\nintrospection: {url: 'https://issuer.test/introspect', client_id: c, client_secret: s}\n",
        ] {
            let value = serde_saphyr::from_str(provider).expect("yaml");
            let config = ProviderConfig::from_value(value, "p").expect("a valid provider");
            let built = from_config(&config, "p").expect("built");
            assert_eq!(built.name(), "oauth2_token");
        }
    }
}
