//! The security stack, in request order, from the config (DESIGN.md "Request
//! path"): quota around authentication (behind the validation cache for remote providers),
//! then the `required_scope` check, then the route policy; the access policy
//! is handed to handlers. Later steps (quota,
//! route policy) slot in here, in their place.

use std::sync::Arc;
use std::time::Duration;

use crate::authn::cache::CachedProvider;
use crate::authn::{AuthProvider, Authentication, providers};
use crate::authz::{AccessPolicyContext, RoutePolicyCheck, ScopeCheck};
use crate::config::{CacheConfig, Config, ConfigError, ProviderConfig};
use crate::guard::Guard;
use crate::quota::{Quota, QuotaGuard};

/// The guards the config asks for. `provider` replaces the configured
/// provider (an app's own [`AuthProvider`]). With no provider at all,
/// authentication is off: no guard runs and scope checks pass.
pub fn stack(
    config: &Config,
    provider: Option<Arc<dyn AuthProvider>>,
) -> Result<Vec<Arc<dyn Guard>>, ConfigError> {
    let configured = match &config.server.auth {
        Some(auth) => auth.provider()?,
        None => None,
    };
    let cache = config
        .server
        .auth
        .as_ref()
        .map(|a| a.cache.clone())
        .unwrap_or_default();
    let provider = match (provider, configured) {
        (Some(provider), _) => Some(cached(provider, &cache, false)),
        (None, Some(config)) => {
            let built = providers::from_config(&config, "server.auth.provider_config")?;
            Some(match config {
                // Local providers gain nothing from a cache.
                ProviderConfig::ApiKeys(_) | ProviderConfig::UpstreamHeader(_) => built,
                // A custom endpoint may decide per request path: off unless asked.
                ProviderConfig::Custom(_) => cached(built, &cache, false),
                ProviderConfig::OAuth2Token(_)
                | ProviderConfig::GithubToken(_)
                | ProviderConfig::Kubernetes(_) => cached(built, &cache, true),
            })
        }
        (None, None) => None,
    };
    let mut guards: Vec<Arc<dyn Guard>> = Vec::new();
    let authentication = provider.map(Authentication::new);
    let authenticated = authentication.is_some();
    match (&config.server.quota, authentication) {
        // Quota first: it wraps authentication (429 before the provider).
        (Some(quota), authentication) => {
            let quota = Arc::new(Quota::from_config(quota)?);
            guards.push(Arc::new(QuotaGuard::new(quota, authentication)));
        }
        (None, Some(authentication)) => guards.push(Arc::new(authentication)),
        (None, None) => {}
    }
    if authenticated {
        guards.push(Arc::new(ScopeCheck));
    }
    if let Some(auth) = &config.server.auth {
        let routes = auth.route_policy()?;
        if !routes.is_empty() {
            guards.push(Arc::new(RoutePolicyCheck::new(Arc::new(routes))));
        }
        // Handlers reach the configured access policy through `Access`; without
        // one they get llama-stack's default policy.
        if !auth.access_policy.is_empty() {
            guards.push(Arc::new(AccessPolicyContext::new(Arc::new(
                auth.access_policy()?,
            ))));
        }
    }
    Ok(guards)
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
