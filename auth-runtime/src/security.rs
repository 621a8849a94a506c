//! The security stack, in request order, from the config (DESIGN.md "Request
//! path"): authentication, then the `required_scope` check. Later steps (quota,
//! route policy) slot in here, in their place.

use std::sync::Arc;

use crate::authn::{AuthProvider, Authentication, providers};
use crate::authz::ScopeCheck;
use crate::config::{Config, ConfigError};
use crate::guard::Guard;

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
    let provider = match (provider, configured) {
        (Some(provider), _) => Some(provider),
        (None, Some(config)) => Some(providers::from_config(
            &config,
            "server.auth.provider_config",
        )?),
        (None, None) => None,
    };
    let mut guards: Vec<Arc<dyn Guard>> = Vec::new();
    if let Some(provider) = provider {
        guards.push(Arc::new(Authentication::new(provider)));
        guards.push(Arc::new(ScopeCheck));
    }
    Ok(guards)
}
