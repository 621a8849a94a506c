//! The security a config describes, built once at startup: the provider
//! (behind the validation cache when it is remote), the quota, the route
//! policy and the access policy. [`RouterBuilder::security`] puts it in front
//! of every route; the pipeline only reads it.
//!
//! [`RouterBuilder::security`]: crate::RouterBuilder::security

use std::sync::Arc;
use std::time::Duration;

use crate::authn::cache::CachedProvider;
use crate::authn::{AuthProvider, Authenticator, providers};
use crate::authz::{AccessPolicy, RoutePolicy};
use crate::caller::default_policy;
use crate::config::{CacheConfig, Config, ConfigError, ProviderConfig};
use crate::quota::Quota;

/// Authentication, quota and policies, ready to serve.
pub struct Security {
    pub(crate) authn: Option<Authenticator>,
    pub(crate) quota: Option<Quota>,
    pub(crate) routes: Option<RoutePolicy>,
    pub(crate) access: Arc<AccessPolicy>,
    cache: CacheConfig,
}

impl Security {
    /// No authentication, no quota, no policies: every route is served to
    /// anyone (llama-stack without `server.auth`). Say so explicitly with
    /// [`RouterBuilder::without_security`](crate::RouterBuilder::without_security).
    pub fn off() -> Security {
        Security {
            authn: None,
            quota: None,
            routes: None,
            access: default_policy(),
            cache: CacheConfig::default(),
        }
    }

    /// What `config` describes. With no `server.auth.provider_config`,
    /// authentication is off (scope checks pass, `Access` allows everything).
    pub fn from_config(config: &Config) -> Result<Security, ConfigError> {
        let mut security = Security::off();
        if let Some(auth) = &config.server.auth {
            security.cache = auth.cache.clone();
            if let Some(provider) = auth.provider()? {
                let built = providers::from_config(&provider, "server.auth.provider_config")?;
                let provider = match provider {
                    // Local providers gain nothing from a cache.
                    ProviderConfig::ApiKeys(_) | ProviderConfig::UpstreamHeader(_) => built,
                    // A custom endpoint may decide per request path: off unless asked.
                    ProviderConfig::Custom(_) => cached(built, &auth.cache, false),
                    ProviderConfig::OAuth2Token(_)
                    | ProviderConfig::GithubToken(_)
                    | ProviderConfig::Kubernetes(_) => cached(built, &auth.cache, true),
                };
                security.authn = Some(Authenticator::new(provider));
            }
            let routes = auth.route_policy()?;
            if !routes.is_empty() {
                security.routes = Some(routes);
            }
            // Without an access policy handlers get llama-stack's default one.
            if !auth.access_policy.is_empty() {
                security.access = Arc::new(auth.access_policy()?);
            }
        }
        if let Some(quota) = &config.server.quota {
            security.quota = Some(Quota::from_config(quota)?);
        }
        Ok(security)
    }

    /// Authenticates with `provider` instead of the configured one (behind the
    /// validation cache only when `server.auth.cache.enabled` asks for it).
    pub fn with_provider(mut self, provider: Arc<dyn AuthProvider>) -> Security {
        self.authn = Some(Authenticator::new(cached(provider, &self.cache, false)));
        self
    }

    /// Whether requests are authenticated (a provider is configured).
    pub fn authentication(&self) -> bool {
        self.authn.is_some()
    }
}

/// The provider behind the validation cache, when the config (or the
/// provider's kind, by default) asks for one.
fn cached(
    provider: Arc<dyn AuthProvider>,
    cache: &CacheConfig,
    on_by_default: bool,
) -> Arc<dyn AuthProvider> {
    if cache.enabled.unwrap_or(on_by_default) && cache.ttl > 0 && cache.max_entries > 0 {
        Arc::new(CachedProvider::new(
            provider,
            Duration::from_secs(cache.ttl),
            Duration::from_secs(cache.failure_ttl),
            cache.max_entries,
        ))
    } else {
        provider
    }
}
