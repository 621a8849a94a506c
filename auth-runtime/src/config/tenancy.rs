//! `server.tenancy` (ogx's shape, DESIGN.md "Tenancy"): whether a tenant
//! is required of every caller of a protected route (`multi`), stamped on
//! every authenticated caller (`single`), or neither (`disabled`, the
//! default). Decisions are tenant-aware in every mode; the mode only
//! requires or stamps.

use serde::Deserialize;

/// `server.tenancy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TenancyConfig {
    /// `server.tenancy.mode`: `disabled` (default), `single` or `multi`.
    #[serde(default)]
    pub mode: TenancyMode,
    /// `server.tenancy.default_tenant_id`: the tenant `single` gives every
    /// authenticated caller. Required by `single`.
    #[serde(default)]
    pub default_tenant_id: Option<String>,
}

/// `server.tenancy.mode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TenancyMode {
    /// No tenant is required or stamped (tenants from providers still
    /// partition).
    #[default]
    Disabled,
    /// Every authenticated caller is in `default_tenant_id`.
    Single,
    /// A protected route's caller without a tenant is refused (401).
    Multi,
}
