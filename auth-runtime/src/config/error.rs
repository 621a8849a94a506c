//! Config errors. Each says where the problem is; the server refuses to start.

/// A config file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The YAML parser's message names the line, column and field.
    #[error("invalid config: {0}")]
    Parse(String),
}
