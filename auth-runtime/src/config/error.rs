//! Config errors. Each names the file or the path of the bad field; the server
//! refuses to start on any of them.

/// A config that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {file}: {source}")]
    Read {
        /// The file, as given.
        file: String,
        /// Why it could not be read.
        source: std::io::Error,
    },
    /// Not YAML, or over the parser's limits. The message has line and column.
    #[error("config file {file} is not valid YAML: {message}")]
    Yaml {
        /// The file (or the name the document was parsed under).
        file: String,
        /// The parser's message.
        message: String,
    },
    /// A field with a bad value; `path` is like `server.auth.provider_config.keys[0].key`.
    #[error("config field `{path}`: {message}")]
    Field {
        /// Where the bad value is; `(document)` for the document itself.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

impl ConfigError {
    /// A [`Field`](ConfigError::Field) error; an empty `path` is the
    /// document itself.
    pub fn field(path: impl Into<String>, message: impl Into<String>) -> Self {
        let path = path.into();
        ConfigError::Field {
            path: if path.is_empty() {
                "(document)".into()
            } else {
                path
            },
            message: message.into(),
        }
    }

    /// The same error, located under `prefix`.
    pub(crate) fn under(self, prefix: &str) -> Self {
        match self {
            ConfigError::Field { path, message } if path == "(document)" || path == "." => {
                ConfigError::Field {
                    path: prefix.to_owned(),
                    message,
                }
            }
            ConfigError::Field { path, message } => ConfigError::Field {
                path: format!("{prefix}.{path}"),
                message,
            },
            other => other,
        }
    }

    /// The path of the bad field, when the error is about one.
    pub fn path(&self) -> Option<&str> {
        match self {
            ConfigError::Field { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// Every error of a config, reported together (one or more).
pub(crate) type ConfigErrors = crate::Errors<ConfigError>;
