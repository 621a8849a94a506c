//! Server configuration: YAML in llama-stack's `run.yaml` shape. Unknown keys
//! and sections are ignored so a real `run.yaml` loads.

mod error;
mod model;

pub use error::ConfigError;
pub use model::{Config, ServerConfig};

use std::path::Path;

/// Default address of the server, as llama-stack's.
pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_PORT: u16 = 8321;

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::from_yaml(&text)
    }

    /// Parses a config document.
    pub fn from_yaml(text: &str) -> Result<Config, ConfigError> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        serde_saphyr::from_str(text).map_err(|e| ConfigError::Parse(e.to_string()))
    }
}
