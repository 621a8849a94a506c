//! `type: api_keys`: static keys, each with its principal and attributes.

use std::fmt;

use serde::Deserialize;

use crate::config::ConfigError;
use crate::principal::Attributes;

/// `type: api_keys`: static keys, each with its principal and attributes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ApiKeysConfig {
    /// `server.auth.provider_config.keys`: the keys. Required, no default.
    pub keys: Vec<ApiKeyConfig>,
}

/// One key: in clear (`key`, hashed at load) or as `key_sha256` (hex).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ApiKeyConfig {
    /// `server.auth.provider_config.keys[i].key`: the key in clear (a bearer
    /// token: printable ASCII, no spaces). Exclusive with `key_sha256`; one
    /// of them is required.
    pub key: Option<String>,
    /// `server.auth.provider_config.keys[i].key_sha256`: the key's SHA-256
    /// digest, 64 hex digits. Exclusive with `key`.
    pub key_sha256: Option<String>,
    /// `server.auth.provider_config.keys[i].principal`: who the key's caller
    /// is. Required, not empty.
    pub principal: String,
    /// `server.auth.provider_config.keys[i].attributes`: the caller's
    /// attributes (`roles`, `scopes`, ...), each a list. Default: empty.
    #[serde(default)]
    pub attributes: Attributes,
    /// `server.auth.provider_config.keys[i].tenant`: the tenant of the key's
    /// caller (DESIGN.md "Tenancy"). Default: none.
    #[serde(default)]
    pub tenant: Option<String>,
}

impl fmt::Debug for ApiKeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyConfig")
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("key_sha256", &self.key_sha256)
            .field("principal", &self.principal)
            .field("attributes", &self.attributes)
            .field("tenant", &self.tenant)
            .finish()
    }
}

impl ApiKeysConfig {
    /// Each key given one way, well formed, with a principal; `path`
    /// locates the provider config.
    pub(super) fn check(&self, path: &str) -> Result<(), ConfigError> {
        for (i, key) in self.keys.iter().enumerate() {
            let at = format!("{path}.keys[{i}]");
            match (&key.key, &key.key_sha256) {
                (Some(k), None) if k.is_empty() => {
                    return Err(ConfigError::field(format!("{at}.key"), "must not be empty"));
                }
                // A bearer token is non-empty printable ASCII without spaces: a
                // key that could never be sent would never match.
                (Some(k), None) if !k.bytes().all(|b| b.is_ascii_graphic()) => {
                    return Err(ConfigError::field(
                        format!("{at}.key"),
                        "must be printable ASCII without spaces (a bearer token)",
                    ));
                }
                (None, Some(h)) if h.len() != 64 || hex::decode(h).is_err() => {
                    return Err(ConfigError::field(
                        format!("{at}.key_sha256"),
                        "must be 64 hex digits (a SHA-256 digest)",
                    ));
                }
                (Some(_), Some(_)) => {
                    return Err(ConfigError::field(
                        at,
                        "set `key` or `key_sha256`, not both",
                    ));
                }
                (None, None) => {
                    return Err(ConfigError::field(at, "needs `key` or `key_sha256`"));
                }
                _ => {}
            }
            if key.principal.is_empty() {
                return Err(ConfigError::field(
                    format!("{at}.principal"),
                    "must not be empty",
                ));
            }
            if let Some(tenant) = &key.tenant
                && let Err(e) = crate::principal::tenant_id(tenant)
            {
                return Err(ConfigError::field(format!("{at}.tenant"), e.to_string()));
            }
        }
        Ok(())
    }
}
