//! Why a provider could not be built from its config. Each error knows the
//! setting at fault under the provider's config (`jwks.uri`, `tls_cafile`,
//! `keys[1]`), so that a config error names its whole field path
//! (`server.auth.providers[1].jwks.uri`).

use std::path::PathBuf;

use crate::config::ConfigError;

/// A provider config that cannot be built into a provider: which setting,
/// and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// `tls_cafile` cannot be read.
    #[error("cannot read tls_cafile {}: {source}", file.display())]
    ReadCaFile {
        /// The file, as configured.
        file: PathBuf,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// `tls_cafile` is not a PEM bundle of certificates.
    #[error("tls_cafile {} holds no valid PEM certificate: {source}", file.display())]
    BadCaFile {
        /// The file, as configured.
        file: PathBuf,
        /// What the parser said.
        source: reqwest::Error,
    },
    /// `tls_cafile` holds no certificate at all.
    #[error("tls_cafile {} holds no certificate", file.display())]
    EmptyCaFile {
        /// The file, as configured.
        file: PathBuf,
    },
    /// The HTTP client of the provider could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// TLS could not be set up for the provider's client.
    #[error("TLS: {0}")]
    Tls(#[source] rustls::Error),
    /// A URL setting (`endpoint`, `jwks.uri`, `issuer`, ...) that is no
    /// usable URL.
    #[error("{field}: {reason}")]
    Url {
        /// The setting, under the provider's config.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// An endpoint the provider needs is neither configured nor
    /// discoverable (no single issuer).
    #[error("{field} is not configured, nor one issuer to discover it from")]
    NoEndpoint {
        /// The endpoint's setting (`jwks.uri`, `introspection.url`).
        field: &'static str,
    },
    /// `oauth2_token` without `introspection`, built as an introspecting
    /// provider.
    #[error("introspection is not configured")]
    NoIntrospection,
    /// An API key given as `key_sha256` that is not 64 hex digits.
    #[error("keys[{index}].key_sha256: must be 64 hex digits")]
    KeyDigest {
        /// The key's index in `keys`.
        index: usize,
    },
    /// An API key with neither `key` nor `key_sha256`.
    #[error("keys[{index}]: needs `key` or `key_sha256`")]
    NoKey {
        /// The key's index in `keys`.
        index: usize,
    },
    /// An API key's `tenant` is no tenant id.
    #[error("keys[{index}].tenant: {source}")]
    KeyTenant {
        /// The key's index in `keys`.
        index: usize,
        /// What is wrong with it.
        source: crate::principal::TenantError,
    },
    /// Two entries of `keys` hold one key (compared by SHA-256).
    #[error("keys[{index}]: the same key as keys[{first}]")]
    DuplicateKey {
        /// The later entry's index in `keys`.
        index: usize,
        /// The earlier entry's index.
        first: usize,
    },
    /// Two distinct keys with one 128-bit tag (as likely as guessing the
    /// tag key).
    #[error("keys[{index}]: collides with another key; restart to draw a new tag key")]
    TagCollision {
        /// The key's index in `keys`.
        index: usize,
    },
}

impl ProviderError {
    /// The setting at fault, under the provider's config (`jwks.uri`,
    /// `keys[1]`); `None`: the provider's config as a whole.
    pub fn field(&self) -> Option<String> {
        match self {
            ProviderError::ReadCaFile { .. }
            | ProviderError::BadCaFile { .. }
            | ProviderError::EmptyCaFile { .. } => Some("tls_cafile".to_owned()),
            ProviderError::Url { field, .. } | ProviderError::NoEndpoint { field } => {
                Some((*field).to_owned())
            }
            ProviderError::NoIntrospection => Some("introspection".to_owned()),
            ProviderError::KeyDigest { index } => Some(format!("keys[{index}].key_sha256")),
            ProviderError::KeyTenant { index, .. } => Some(format!("keys[{index}].tenant")),
            ProviderError::NoKey { index }
            | ProviderError::DuplicateKey { index, .. }
            | ProviderError::TagCollision { index } => Some(format!("keys[{index}]")),
            ProviderError::Client(_) | ProviderError::Tls(_) => None,
        }
    }

    /// The config error of the provider configured at `path`
    /// (`server.auth.providers[1]`): the whole path of the setting at
    /// fault, and what is wrong with it, any other setting it names by its
    /// whole path too.
    pub fn at(&self, path: &str) -> ConfigError {
        let field = match self.field() {
            Some(field) => format!("{path}.{field}"),
            None => path.to_owned(),
        };
        let message = match self {
            ProviderError::Url { reason, .. } => reason.clone(),
            ProviderError::KeyDigest { .. } => "must be 64 hex digits".to_owned(),
            ProviderError::NoKey { .. } => "needs `key` or `key_sha256`".to_owned(),
            ProviderError::DuplicateKey { first, .. } => {
                format!("the same key as {path}.keys[{first}]")
            }
            ProviderError::TagCollision { .. } => {
                "collides with another key; restart to draw a new tag key".to_owned()
            }
            other => other.to_string(),
        };
        ConfigError::field(field, message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each error names the whole path of its setting, and any other
    /// setting it mentions by its whole path too.
    #[test]
    fn a_config_error_names_the_whole_path() {
        let at = "server.auth.providers[2]";
        let cases = [
            (
                ProviderError::Url {
                    field: "jwks.uri",
                    reason: "not a URL: relative URL without a base".into(),
                },
                "config field `server.auth.providers[2].jwks.uri`: not a URL: relative URL without a base",
            ),
            (
                ProviderError::EmptyCaFile {
                    file: "/ca.pem".into(),
                },
                "config field `server.auth.providers[2].tls_cafile`: tls_cafile /ca.pem holds no certificate",
            ),
            (
                ProviderError::DuplicateKey { index: 3, first: 1 },
                "config field `server.auth.providers[2].keys[3]`: the same key as server.auth.providers[2].keys[1]",
            ),
            (
                ProviderError::NoEndpoint {
                    field: "introspection.url",
                },
                "config field `server.auth.providers[2].introspection.url`: introspection.url is not configured, nor one issuer to discover it from",
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(error.at(at).to_string(), expected);
        }
        assert_eq!(
            ProviderError::DuplicateKey { index: 3, first: 1 }.to_string(),
            "keys[3]: the same key as keys[1]"
        );
    }
}
