//! `type: upstream_header`: a trusted gateway names the caller in headers.

use serde::Deserialize;

use crate::config::ConfigError;

/// `type: upstream_header`: a trusted gateway authenticated the caller.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct UpstreamHeaderConfig {
    /// `server.auth.provider_config.principal_header`: the header the gateway
    /// puts the caller's principal in; a request without it (or with it
    /// twice) is refused. Required, no default.
    pub principal_header: String,
    /// `server.auth.provider_config.attributes_header`: the header the
    /// gateway puts the caller's attributes in, as a JSON object. Default:
    /// none (users have no attributes).
    pub attributes_header: Option<String>,
    /// `server.auth.provider_config.tenant_header`: the header the gateway
    /// puts the caller's tenant in (the gateway must strip a client's
    /// copy: two copies are refused). Absent or blank: no tenant; a
    /// malformed one: 401. Default: none (users have no tenant).
    pub tenant_header: Option<String>,
}

impl UpstreamHeaderConfig {
    /// The headers valid header names; `path` locates the provider config.
    pub(super) fn check(&self, path: &str) -> Result<(), ConfigError> {
        let headers = [
            ("principal_header", Some(&self.principal_header)),
            ("attributes_header", self.attributes_header.as_ref()),
            ("tenant_header", self.tenant_header.as_ref()),
        ];
        for (key, header) in headers {
            if let Some(h) = header
                && axum::http::HeaderName::from_bytes(h.as_bytes()).is_err()
            {
                return Err(ConfigError::field(
                    format!("{path}.{key}"),
                    format!("{h:?} is not a valid header name"),
                ));
            }
        }
        Ok(())
    }
}
