//! The authentication step of the per-route stack.

use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::response::{IntoResponse, Response};

use super::bearer::{self, Challenge, Credentials};
use super::{AuthError, AuthProvider, RequestHead};
use crate::error::ApiError;
use crate::guard::{Guard, Target};

/// Authenticates every request bound for a protected route, and every request
/// that matches no route, with one provider. Public routes skip it.
#[derive(Clone)]
pub struct Authentication {
    provider: Arc<dyn AuthProvider>,
}

impl Authentication {
    pub fn new(provider: Arc<dyn AuthProvider>) -> Self {
        Authentication { provider }
    }

    pub fn provider(&self) -> &Arc<dyn AuthProvider> {
        &self.provider
    }
}

#[async_trait]
impl Guard for Authentication {
    async fn check(&self, target: Target, request: &mut Request) -> Result<(), Response> {
        if !target.requires_authentication() {
            return Ok(());
        }
        // Keep the token out of any Debug output of the request from here on.
        if let Some(value) = request.headers_mut().get_mut(AUTHORIZATION) {
            value.set_sensitive(true);
        }
        let token = if self.provider.requires_bearer() {
            match bearer::credentials(request.headers()) {
                Credentials::Bearer(token) => Some(token),
                Credentials::Missing => {
                    let message = self.provider.missing_credentials_message();
                    log_denied(target, request, "missing credentials");
                    return Err(unauthorized(message, Challenge::Missing));
                }
                Credentials::Malformed => {
                    log_denied(target, request, "invalid Authorization header format");
                    return Err(unauthorized(
                        "Invalid Authorization header format".to_owned(),
                        Challenge::InvalidRequest,
                    ));
                }
            }
        } else {
            None
        };
        let head = RequestHead {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
        };
        let outcome = self.provider.authenticate(token, head).await;
        // Whatever a provider says is redacted: an endpoint may echo the token.
        let redact = |text: String| match token {
            Some(token) if text.contains(token) => text.replace(token, "[redacted]"),
            _ => text,
        };
        match outcome {
            Ok(user) => {
                tracing::debug!(
                    target: "webmethod::auth",
                    principal = %user.principal,
                    method = %request.method(),
                    route = route_name(target),
                    outcome = "authenticated",
                    provider = self.provider.name(),
                );
                request.extensions_mut().insert(user);
                Ok(())
            }
            Err(AuthError::Rejected(reason)) => {
                let reason = redact(reason);
                log_denied(target, request, &reason);
                let challenge = if token.is_some() {
                    Challenge::InvalidToken
                } else {
                    Challenge::Missing
                };
                Err(unauthorized(reason, challenge))
            }
            Err(AuthError::Unavailable(reason)) => {
                let reason = redact(reason);
                tracing::warn!(
                    target: "webmethod::auth",
                    method = %request.method(),
                    route = route_name(target),
                    outcome = "unavailable",
                    provider = self.provider.name(),
                    reason = %reason,
                );
                Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, reason).into_response())
            }
            Err(AuthError::Failed(detail)) => {
                let detail = redact(detail);
                tracing::error!(
                    target: "webmethod::auth",
                    method = %request.method(),
                    route = route_name(target),
                    outcome = "error",
                    provider = self.provider.name(),
                    reason = %detail,
                );
                let challenge = if token.is_some() {
                    Challenge::InvalidToken
                } else {
                    Challenge::Missing
                };
                Err(unauthorized(
                    "Authentication service error".to_owned(),
                    challenge,
                ))
            }
        }
    }
}

/// The route for logs: its template, never the raw request path.
pub(crate) fn route_name(target: Target) -> &'static str {
    match target {
        Target::Route(entry) => entry.path,
        Target::Unmatched => "<unmatched>",
    }
}

fn log_denied(target: Target, request: &Request, reason: &str) {
    tracing::info!(
        target: "webmethod::auth",
        method = %request.method(),
        route = route_name(target),
        outcome = "denied",
        reason = %reason,
    );
}

fn unauthorized(message: String, challenge: Challenge) -> Response {
    let header = bearer::challenge(challenge, &message);
    let mut response = ApiError::unauthorized(message).into_response();
    response.headers_mut().insert(WWW_AUTHENTICATE, header);
    response
}
