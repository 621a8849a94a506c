//! `required_scope`: the caller's `scopes` attribute must hold it.

use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};

use crate::authn::layer_route_name as route_name;
use crate::error::ApiError;
use crate::guard::{Guard, Target};
use crate::principal::User;

/// Checks the route's `required_scope` against the authenticated user. Runs
/// after authentication; installed only when authentication is on (with it
/// off, scope checks pass, as in llama-stack).
#[derive(Clone, Copy, Debug, Default)]
pub struct ScopeCheck;

#[async_trait]
impl Guard for ScopeCheck {
    async fn check(&self, target: Target, request: &mut Request) -> Result<(), Response> {
        let Some(scope) = target.required_scope() else {
            return Ok(());
        };
        let user = request.extensions().get::<Arc<User>>();
        if user.is_some_and(|u| u.has_scope(scope)) {
            return Ok(());
        }
        tracing::info!(
            target: "webmethod::auth",
            principal = user.map_or("", |u| u.principal.as_str()),
            method = %request.method(),
            route = route_name(target),
            outcome = "forbidden",
            reason = "missing required scope",
            scope,
        );
        Err(ApiError::forbidden(format!(
            "Access denied: user does not have required scope: {scope}"
        ))
        .into_response())
    }
}
