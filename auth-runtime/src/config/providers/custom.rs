//! `type: custom`: an endpoint of yours validates each token.

use std::fmt;

use serde::Deserialize;

use super::{check_tenant_source, default_timeout};
use crate::config::ConfigError;
use crate::config::de::lenient;
use crate::config::shown::Url;

/// `type: custom`: POST each token to an endpoint of yours.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CustomConfig {
    /// `server.auth.provider_config.endpoint`: the `http` or `https` URL each
    /// token is POSTed to. Required, no default.
    pub endpoint: String,
    /// `server.auth.provider_config.timeout`: seconds before the endpoint
    /// counts as unreachable (503). Above 0, at most 3600; default 10.
    #[serde(default = "default_timeout", deserialize_with = "lenient")]
    pub timeout: f64,
    /// `server.auth.provider_config.tenant_field`: the field path of the
    /// endpoint's JSON answer holding the user's tenant, dotted as
    /// `claims_mapping` claims are (`org.tenant`, `\.` a dot inside a
    /// segment). A string; absent or blank is no tenant, any other value a
    /// 401. Default: none (users have no tenant).
    pub tenant_field: Option<String>,
}

impl fmt::Debug for CustomConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomConfig")
            .field("endpoint", &Url(&self.endpoint))
            .field("timeout", &self.timeout)
            .field("tenant_field", &self.tenant_field)
            .finish()
    }
}

impl CustomConfig {
    /// `endpoint` an `http(s)` URL, `timeout` in range; `path` locates the
    /// provider config.
    pub(super) fn check(&self, path: &str) -> Result<(), ConfigError> {
        let url = reqwest::Url::parse(&self.endpoint).map_err(|e| {
            ConfigError::field(format!("{path}.endpoint"), format!("not a URL: {e}"))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ConfigError::field(
                format!("{path}.endpoint"),
                "must be an http or https URL",
            ));
        }
        if !(self.timeout.is_finite() && self.timeout > 0.0 && self.timeout <= 3600.0) {
            return Err(ConfigError::field(
                format!("{path}.timeout"),
                "must be between 0 and 3600 seconds",
            ));
        }
        check_tenant_source(
            self.tenant_field.as_deref(),
            &format!("{path}.tenant_field"),
        )
    }
}
