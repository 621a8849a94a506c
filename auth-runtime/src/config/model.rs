//! The config's serde types, in llama-stack's shape.

use serde::Deserialize;

/// The whole config document. Only `server` is read; other sections are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub server: ServerConfig,
}

/// `server:` of a `run.yaml`.
#[derive(Debug, Default, Deserialize)]
pub struct ServerConfig {
    pub host: Option<String>,
    pub port: Option<u16>,
}
