//! The built-in providers, and building one from its config.

mod api_key;
mod custom;
mod upstream_header;

pub use api_key::ApiKeyProvider;
pub use custom::CustomProvider;
pub use upstream_header::UpstreamHeaderProvider;

use std::sync::Arc;

use super::AuthProvider;
use crate::config::{ConfigError, ProviderConfig};

/// The provider a config describes. `path` locates the config for errors.
pub fn from_config(
    config: &ProviderConfig,
    path: &str,
) -> Result<Arc<dyn AuthProvider>, ConfigError> {
    Ok(match config {
        ProviderConfig::Custom(c) => {
            Arc::new(CustomProvider::new(c).map_err(|e| ConfigError::field(path, e))?)
        }
        ProviderConfig::UpstreamHeader(c) => Arc::new(UpstreamHeaderProvider::new(c)),
        ProviderConfig::ApiKeys(c) => Arc::new(ApiKeyProvider::new(c).map_err(|e| e.under(path))?),
    })
}
