//! `required_scope`: the caller's `scopes` attribute must hold it.

use axum::http::Method;

use crate::extract::error::ApiError;
use crate::principal::User;
use crate::route::target::Target;

/// Checks a route's `required_scope` against the authenticated user: 403 when
/// the user lacks it. Only run with authentication on (with it off, scope
/// checks pass, as in llama-stack).
pub(crate) fn check(
    scope: &'static str,
    user: Option<&User>,
    method: &Method,
    target: Target,
    metrics: Option<&crate::telemetry::metrics::Metrics>,
) -> Result<(), ApiError> {
    let allowed = user.is_some_and(|u| u.has_scope(scope));
    if let Some(metrics) = metrics {
        metrics.policy("scope", allowed);
    }
    if allowed {
        return Ok(());
    }
    tracing::info!(
        target: "webmethod::auth",
        principal = user.map_or("", |u| u.principal.as_str()),
        method = %method,
        route = target.route_name(),
        outcome = "forbidden",
        reason = "missing required scope",
        scope,
    );
    Err(ApiError::forbidden(format!(
        "Access denied: user does not have required scope: {scope}"
    )))
}
