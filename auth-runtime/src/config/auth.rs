//! `server.auth`: the providers (typed in [`providers`](super::providers)),
//! the policies as written, the validation cache and the decision log.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use super::de::{lenient, lenient_opt};

/// `server.auth`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct AuthConfig {
    /// `server.auth.provider_config`: one provider, by its `type`. Parsed by
    /// type in [`ProviderConfig::from_value`](super::ProviderConfig::from_value), for exact error paths.
    /// Default: none (with no `providers` either, authentication is off).
    pub provider_config: Option<Value>,
    /// `server.auth.providers`: several providers (webmethod's own; exclusive
    /// with `provider_config`): a list of provider configs, each with an
    /// optional `name` and `cache`. Default: none.
    pub providers: Option<Value>,
    /// `server.auth.route_policy`: llama-stack's permit/forbid rules over
    /// request paths, compiled into a [`RoutePolicy`](crate::authz::RoutePolicy).
    /// Default: empty (every route allowed).
    #[serde(default)]
    pub route_policy: Vec<Value>,
    /// `server.auth.access_policy`: llama-stack's permit/forbid rules over
    /// resources, compiled into an [`AccessPolicy`](crate::authz::AccessPolicy).
    /// Default: empty (llama-stack's default policy).
    #[serde(default)]
    pub access_policy: Vec<Value>,
    /// `server.auth.cache` (webmethod's own): the validation cache. Default:
    /// every field at its default.
    #[serde(default)]
    pub cache: CacheConfig,
    /// `server.auth.decision_log` (webmethod's own): one JSON line per
    /// decision, to a file or stderr. Default: none (no decision log).
    pub decision_log: Option<DecisionLogConfig>,
}

impl fmt::Debug for AuthConfig {
    /// The providers' secrets and URL credentials hidden.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::config::shown::ProviderValue;
        f.debug_struct("AuthConfig")
            .field(
                "provider_config",
                &self.provider_config.as_ref().map(ProviderValue),
            )
            .field("providers", &self.providers.as_ref().map(ProviderValue))
            .field("route_policy", &self.route_policy)
            .field("access_policy", &self.access_policy)
            .field("cache", &self.cache)
            .field("decision_log", &self.decision_log)
            .finish()
    }
}

/// `server.auth.decision_log`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DecisionLogConfig {
    /// `server.auth.decision_log.path`: a file (appended to), or `stderr`.
    /// Required, no default.
    pub path: String,
}

/// `server.auth.cache` (webmethod's own): the validation cache in front of
/// the provider, keyed by a secret-keyed 128-bit hash of the token. An entry
/// of `server.auth.providers` may have a `cache` of its own, with the same keys.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CacheConfig {
    /// `server.auth.cache.enabled`: whether validations are cached. Default:
    /// on for `oauth2_token`, `github_token` and `kubernetes`; off for
    /// `custom`, whose endpoint may decide per request path, and for a
    /// provider set in code. `api_keys` and `upstream_header` are never cached.
    #[serde(default, deserialize_with = "lenient_opt")]
    pub enabled: Option<bool>,
    /// `server.auth.cache.ttl`: seconds a validated token is trusted without
    /// asking again (never past its `exp`); 0 turns the cache off. Default 300.
    #[serde(default = "default_cache_ttl", deserialize_with = "lenient")]
    pub ttl: u64,
    /// `server.auth.cache.failure_ttl`: seconds a rejected token is answered
    /// from the cache. Default 5.
    #[serde(default = "default_failure_ttl", deserialize_with = "lenient")]
    pub failure_ttl: u64,
    /// `server.auth.cache.max_entries`: the most tokens cached; 0 turns the
    /// cache off. Default 10,000.
    #[serde(default = "default_max_entries", deserialize_with = "lenient")]
    pub max_entries: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            enabled: None,
            ttl: default_cache_ttl(),
            failure_ttl: default_failure_ttl(),
            max_entries: default_max_entries(),
        }
    }
}

fn default_cache_ttl() -> u64 {
    300
}
fn default_failure_ttl() -> u64 {
    5
}
fn default_max_entries() -> u64 {
    10_000
}
