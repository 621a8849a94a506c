//! The authentication step of the pipeline: the bearer token, the provider's
//! verdict, and the answer (401 with `WWW-Authenticate`, or 503) when it fails.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::response::{IntoResponse, Response};

use super::bearer::{self, Challenge, Credentials};
use super::{AuthError, AuthProvider, RequestHead};
use crate::error::ApiError;
use crate::guard::Target;
use crate::principal::User;

/// Authenticates requests with one provider (behind the validation cache
/// when the config asks for one).
#[derive(Clone)]
pub(crate) struct Authenticator {
    provider: Arc<dyn AuthProvider>,
}

impl Authenticator {
    pub(crate) fn new(provider: Arc<dyn AuthProvider>) -> Self {
        Authenticator { provider }
    }

    /// Optional authentication (a public route whose handler takes
    /// `Option<AuthenticatedUser>`): the user when the caller sent
    /// credentials the provider accepts; `None` otherwise, whatever the
    /// reason (none sent, malformed, rejected, provider down). Never an answer.
    pub(crate) async fn optional(
        &self,
        target: Target,
        request: &mut Request,
    ) -> Option<Arc<User>> {
        if let Some(value) = request.headers_mut().get_mut(AUTHORIZATION) {
            value.set_sensitive(true);
        }
        let token = if self.provider.requires_bearer() {
            match bearer::credentials(request.headers()) {
                Credentials::Bearer(token) => Some(token),
                Credentials::Missing | Credentials::Malformed => return None,
            }
        } else {
            None
        };
        let head = RequestHead {
            method: request.method(),
            uri: request.uri(),
            headers: request.headers(),
        };
        match self.provider.authenticate(token, head).await {
            Ok(user) => {
                tracing::debug!(
                    target: "webmethod::auth",
                    principal = %user.principal,
                    method = %request.method(),
                    route = route_name(target),
                    outcome = "authenticated",
                    provider = self.provider.name(),
                );
                Some(user)
            }
            Err(_) => {
                // The details stay out of the log: the route is public and the
                // caller is served anonymously.
                tracing::debug!(
                    target: "webmethod::auth",
                    method = %request.method(),
                    route = route_name(target),
                    outcome = "anonymous",
                    provider = self.provider.name(),
                    reason = "credentials not accepted on a public route",
                );
                None
            }
        }
    }

    /// Required authentication (a protected route, or no route): the user, or
    /// the answer that stops the request.
    pub(crate) async fn required(
        &self,
        target: Target,
        request: &mut Request,
    ) -> Result<Arc<User>, Response> {
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
                Ok(user)
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
