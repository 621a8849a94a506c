//! `server.tenancy`, checked: what the authentication step does with the
//! caller's tenant (DESIGN.md "Tenancy").

use std::sync::Arc;

use crate::config::{ConfigError, TenancyConfig, TenancyMode};

/// The 401 of `multi` for a caller without a tenant (ogx's words).
pub(crate) const TENANT_REQUIRED: &str =
    "Tenant context required but not resolved from authentication";

/// `server.tenancy`, checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Tenancy {
    /// Nothing required or stamped.
    #[default]
    Disabled,
    /// Every authenticated caller is put in this tenant.
    Single(Arc<str>),
    /// A protected route's caller without a tenant is refused.
    Multi,
}

impl Tenancy {
    /// `server.tenancy` checked; every error names its field. A
    /// `default_tenant_id` no mode uses is a warning, pushed to `warnings`.
    pub(crate) fn from_config(
        config: Option<&TenancyConfig>,
        warnings: &mut Vec<String>,
    ) -> Result<Tenancy, ConfigError> {
        let Some(config) = config else {
            return Ok(Tenancy::Disabled);
        };
        const FIELD: &str = "server.tenancy.default_tenant_id";
        let default = match config.default_tenant_id.as_deref() {
            Some(raw) => match crate::principal::tenant_id(raw) {
                Ok(Some(id)) => Some(id),
                Ok(None) => return Err(ConfigError::field(FIELD, "must not be blank")),
                Err(e) => return Err(ConfigError::field(FIELD, e.to_string())),
            },
            None => None,
        };
        match (config.mode, default) {
            (TenancyMode::Single, Some(id)) => Ok(Tenancy::Single(id.into())),
            (TenancyMode::Single, None) => Err(ConfigError::field(
                FIELD,
                "is required when server.tenancy.mode is single",
            )),
            (mode, default) => {
                if default.is_some() {
                    warnings.push(format!(
                        "{FIELD} is used only when server.tenancy.mode is single; ignored"
                    ));
                }
                Ok(if mode == TenancyMode::Multi {
                    Tenancy::Multi
                } else {
                    Tenancy::Disabled
                })
            }
        }
    }

    /// The tenant `single` stamps, if that is the mode.
    pub(crate) fn stamp(&self) -> Option<&Arc<str>> {
        match self {
            Tenancy::Single(tenant) => Some(tenant),
            _ => None,
        }
    }
}
