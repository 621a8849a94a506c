//! `type: kubernetes`: tokens checked by the Kubernetes API server.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use super::{
    check_cafile, check_mapping, check_tenant_source, check_timeout, check_url, default_timeout,
};
use crate::config::ConfigError;
use crate::config::de::{lenient, pairs, yes};
use crate::config::shown::Url;

/// `type: kubernetes`: service-account and user tokens, checked with a
/// SelfSubjectReview against the API server.
///
/// Its fields are keys of `server.auth.provider_config` (or of an entry of
/// `server.auth.providers`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct KubernetesConfig {
    /// `server.auth.provider_config.api_server_url`: the Kubernetes API
    /// server. Default `https://kubernetes.default.svc`.
    #[serde(default = "default_api_server")]
    pub api_server_url: String,
    /// `server.auth.provider_config.verify_tls`: whether the API server's TLS
    /// certificate is checked (`false` is for tests only). Default `true`.
    #[serde(default = "yes", deserialize_with = "lenient")]
    pub verify_tls: bool,
    /// `server.auth.provider_config.tls_cafile`: PEM file of the CAs to trust
    /// for the API server, instead of the system's. Default: none.
    pub tls_cafile: Option<PathBuf>,
    /// `server.auth.provider_config.claims_mapping`: `claim: attribute` pairs
    /// over the review's `userInfo` (`username`, `groups`, `extra.<key>`;
    /// `\.` is a dot inside a segment: `extra.example\.com/team`). Default:
    /// llama-stack's ([`default_kubernetes_claims`]).
    #[serde(default = "default_kubernetes_claims")]
    pub claims_mapping: BTreeMap<String, String>,
    /// `server.auth.provider_config.tenant_claim`: the path into the
    /// review's `userInfo` holding the user's tenant, as `claims_mapping`
    /// paths are (`extra.tenant`, `\.` a dot inside a segment). A string
    /// (or a list of exactly one string, as `userInfo.extra` values are);
    /// absent, blank or an empty list is no tenant, any other value (a list
    /// of two) a 401. Default: none.
    pub tenant_claim: Option<String>,
    /// `server.auth.provider_config.timeout`: seconds to connect to the API
    /// server and to get its whole answer. Above 0, at most 3600; default 10.
    #[serde(default = "default_timeout", deserialize_with = "lenient")]
    pub timeout: f64,
}

impl fmt::Debug for KubernetesConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KubernetesConfig")
            .field("api_server_url", &Url(&self.api_server_url))
            .field("verify_tls", &self.verify_tls)
            .field("tls_cafile", &self.tls_cafile)
            .field("claims_mapping", &self.claims_mapping)
            .field("tenant_claim", &self.tenant_claim)
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn default_api_server() -> String {
    "https://kubernetes.default.svc".into()
}

/// llama-stack's default mapping for `kubernetes`.
pub fn default_kubernetes_claims() -> BTreeMap<String, String> {
    pairs(&[("username", "roles"), ("groups", "roles")])
}

impl KubernetesConfig {
    /// The API server an `http(s)` URL, the TLS and timeout settings
    /// usable; `path` locates the provider config.
    pub(super) fn check(&self, path: &str) -> Result<(), ConfigError> {
        check_timeout(self.timeout, path)?;
        check_cafile(self.tls_cafile.as_deref(), path)?;
        check_mapping(&self.claims_mapping, path)?;
        check_tenant_source(
            self.tenant_claim.as_deref(),
            &format!("{path}.tenant_claim"),
        )?;
        check_url(&self.api_server_url, &format!("{path}.api_server_url"))
    }
}
