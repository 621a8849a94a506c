//! `type: github_token`: GitHub access tokens, checked with the GitHub API.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use super::{check_cafile, check_mapping, check_timeout, check_url, default_timeout};
use crate::config::ConfigError;
use crate::config::de::{lenient, pairs, yes};
use crate::config::shown::Url;

/// `type: github_token`: GitHub access tokens, checked with the GitHub API.
///
/// Its fields are keys of `server.auth.provider_config` (or of an entry of
/// `server.auth.providers`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct GithubConfig {
    /// `server.auth.provider_config.github_api_base_url`: the GitHub API
    /// (`/user` and `/user/orgs` are asked under it). Default
    /// `https://api.github.com`.
    #[serde(default = "default_github")]
    pub github_api_base_url: String,
    /// `server.auth.provider_config.claims_mapping`: `claim: attribute` pairs
    /// over the user's `login`, `id` and `organizations`. Default:
    /// llama-stack's ([`default_github_claims`]).
    #[serde(default = "default_github_claims")]
    pub claims_mapping: BTreeMap<String, String>,
    /// `server.auth.provider_config.verify_tls`: whether the API's TLS
    /// certificate is checked (`false` is for tests only). Default `true`.
    #[serde(default = "yes", deserialize_with = "lenient")]
    pub verify_tls: bool,
    /// `server.auth.provider_config.tls_cafile`: PEM file of the CAs to trust
    /// for the API, instead of the system's. Default: none.
    pub tls_cafile: Option<PathBuf>,
    /// `server.auth.provider_config.timeout`: seconds to connect to the API
    /// and to get its whole answer. Above 0, at most 3600; default 10.
    #[serde(default = "default_timeout", deserialize_with = "lenient")]
    pub timeout: f64,
}

impl fmt::Debug for GithubConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubConfig")
            .field("github_api_base_url", &Url(&self.github_api_base_url))
            .field("claims_mapping", &self.claims_mapping)
            .field("verify_tls", &self.verify_tls)
            .field("tls_cafile", &self.tls_cafile)
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn default_github() -> String {
    "https://api.github.com".into()
}

/// llama-stack's default mapping for `github_token`.
pub fn default_github_claims() -> BTreeMap<String, String> {
    pairs(&[("login", "roles"), ("organizations", "teams")])
}

impl GithubConfig {
    /// The API an `http(s)` URL, the TLS and timeout settings usable;
    /// `path` locates the provider config.
    pub(super) fn check(&self, path: &str) -> Result<(), ConfigError> {
        check_timeout(self.timeout, path)?;
        check_cafile(self.tls_cafile.as_deref(), path)?;
        check_mapping(&self.claims_mapping, path)?;
        check_url(
            &self.github_api_base_url,
            &format!("{path}.github_api_base_url"),
        )
    }
}
