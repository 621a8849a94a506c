//! The authentication step of the pipeline: the bearer token, the provider's
//! verdict, and the answer (401 with `WWW-Authenticate`, or 503) when it fails.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::response::{IntoResponse, Response};

use super::bearer::{self, Challenge, Credentials};
use super::{AuthError, AuthProvider, RequestHead};
use crate::decision_log::{self, Entry};
use crate::error::ApiError;
use crate::guard::Target;
use crate::principal::User;

/// Authenticates requests with one provider (behind the validation cache
/// when the config asks for one).
#[derive(Clone)]
pub(crate) struct Authenticator {
    provider: Arc<dyn AuthProvider>,
}

/// The bearer token a request carries, as far as the provider needs one.
enum Token<'r> {
    /// `Some` for providers that take a bearer token, `None` for those that
    /// read other headers (a gateway's).
    Sent(Option<&'r str>),
    Missing,
    Malformed,
}

impl Authenticator {
    pub(crate) fn new(provider: Arc<dyn AuthProvider>) -> Self {
        Authenticator { provider }
    }

    /// The provider it asks (the testing kit wraps it).
    #[cfg(feature = "testing")]
    pub(crate) fn into_provider(self) -> Arc<dyn AuthProvider> {
        self.provider
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
        mark_sensitive(request);
        let Token::Sent(token) = self.token(request) else {
            return None;
        };
        let outcome = self.provider.authenticate(token, head(request)).await;
        self.optional_outcome(target, request, outcome)
    }

    /// [`optional`](Self::optional) when the provider can answer without
    /// waiting; `None` when it cannot.
    pub(crate) fn optional_now(
        &self,
        target: Target,
        request: &mut Request,
    ) -> Option<Option<Arc<User>>> {
        mark_sensitive(request);
        let Token::Sent(token) = self.token(request) else {
            return Some(None);
        };
        let outcome = self.provider.authenticate_now(token, head(request))?;
        Some(self.optional_outcome(target, request, outcome))
    }

    /// Required authentication (a protected route, or no route): the user, or
    /// the answer that stops the request.
    pub(crate) async fn required(
        &self,
        target: Target,
        request: &mut Request,
    ) -> Result<Arc<User>, Response> {
        mark_sensitive(request);
        let token = self.sent(target, request)?;
        let outcome = self.provider.authenticate(token, head(request)).await;
        self.required_outcome(target, request, token, outcome)
    }

    /// [`required`](Self::required) when the provider can answer without
    /// waiting; `None` when it cannot.
    pub(crate) fn required_now(
        &self,
        target: Target,
        request: &mut Request,
    ) -> Option<Result<Arc<User>, Response>> {
        mark_sensitive(request);
        let token = match self.sent(target, request) {
            Ok(token) => token,
            Err(answer) => return Some(Err(answer)),
        };
        let outcome = self.provider.authenticate_now(token, head(request))?;
        Some(self.required_outcome(target, request, token, outcome))
    }

    /// The credentials the provider needs.
    fn token<'r>(&self, request: &'r Request) -> Token<'r> {
        if !self.provider.requires_bearer() {
            return Token::Sent(None);
        }
        match bearer::credentials(request.headers()) {
            Credentials::Bearer(token) => Token::Sent(Some(token)),
            Credentials::Missing => Token::Missing,
            Credentials::Malformed => Token::Malformed,
        }
    }

    /// The credentials a protected route needs, or its 401.
    #[expect(
        clippy::result_large_err,
        reason = "the answer is the error: a cold path, moved once"
    )]
    fn sent<'r>(&self, target: Target, request: &'r Request) -> Result<Option<&'r str>, Response> {
        match self.token(request) {
            Token::Sent(token) => Ok(token),
            Token::Missing => {
                self.count(None, "denied");
                Self::audit(target, request, None, "denied", "missing credentials");
                log_denied(target, request, "missing credentials");
                Err(unauthorized(
                    self.provider.missing_credentials_message(),
                    Challenge::Missing,
                ))
            }
            Token::Malformed => {
                self.count(None, "denied");
                Self::audit(
                    target,
                    request,
                    None,
                    "denied",
                    "invalid Authorization header format",
                );
                log_denied(target, request, "invalid Authorization header format");
                Err(unauthorized(
                    "Invalid Authorization header format".to_owned(),
                    Challenge::InvalidRequest,
                ))
            }
        }
    }

    /// Logs the decision (`server.auth.decision_log`).
    fn audit(
        target: Target,
        request: &Request,
        principal: Option<&str>,
        outcome: &str,
        reason: &str,
    ) {
        if decision_log::enabled() {
            decision_log::record(&Entry {
                outcome,
                reason,
                ..Entry::about("authentication", target, request, principal)
            });
        }
    }

    /// Counts the decision, by the provider that took it.
    fn count(&self, user: Option<&User>, outcome: &'static str) {
        if let Some(metrics) = crate::metrics::enabled() {
            let provider = user
                .and_then(|u| u.provider.as_deref())
                .unwrap_or(self.provider.name());
            metrics.auth(provider, outcome);
        }
    }

    fn optional_outcome(
        &self,
        target: Target,
        request: &Request,
        outcome: Result<Arc<User>, AuthError>,
    ) -> Option<Arc<User>> {
        self.count(outcome.as_ref().ok().map(|u| &**u), outcome_word(&outcome));
        match outcome {
            Ok(user) => {
                self.log_authenticated(target, request, &user);
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

    fn log_authenticated(&self, target: Target, request: &Request, user: &User) {
        crate::request_id::record_principal(&user.principal);
        tracing::debug!(
            target: "webmethod::auth",
            request_id = request_id(request),
            // As a str field: quoted and escaped, so a provider's newline
            // or escape sequence never starts a log line of its own.
            principal = user.principal.as_str(),
            method = %request.method(),
            route = route_name(target),
            outcome = "authenticated",
            // The configured provider's name (which of several accepted).
            provider = user.provider.as_deref().unwrap_or(self.provider.name()),
        );
    }

    /// The provider's verdict as the pipeline answers it.
    #[expect(
        clippy::result_large_err,
        reason = "the answer is the error: a cold path, moved once"
    )]
    fn required_outcome(
        &self,
        target: Target,
        request: &Request,
        token: Option<&str>,
        outcome: Result<Arc<User>, AuthError>,
    ) -> Result<Arc<User>, Response> {
        // Whatever a provider says is redacted: an endpoint may echo the token.
        let redact = |text: String| match token {
            Some(token) => super::redact::token(text, token),
            None => text,
        };
        let challenge = if token.is_some() {
            Challenge::InvalidToken
        } else {
            Challenge::Missing
        };
        self.count(outcome.as_ref().ok().map(|u| &**u), outcome_word(&outcome));
        if decision_log::enabled() {
            let (principal, reason) = match &outcome {
                Ok(user) => (Some(user.principal.as_str()), "authenticated"),
                Err(
                    AuthError::Rejected(r)
                    | AuthError::Declined(r)
                    | AuthError::Unavailable(r)
                    | AuthError::Failed(r),
                ) => (None, r.as_str()),
            };
            // What a provider says may echo the token: redacted like the answer.
            let reason = redact(reason.to_owned());
            Self::audit(target, request, principal, outcome_word(&outcome), &reason);
        }
        match outcome {
            Ok(user) => {
                self.log_authenticated(target, request, &user);
                Ok(user)
            }
            Err(AuthError::Rejected(reason) | AuthError::Declined(reason)) => {
                let reason = redact(reason);
                log_denied(target, request, &reason);
                Err(unauthorized(reason, challenge))
            }
            Err(AuthError::Unavailable(reason)) => {
                let reason = redact(reason);
                tracing::warn!(
                    target: "webmethod::auth",
                    request_id = request_id(request),
                    method = %request.method(),
                    route = route_name(target),
                    outcome = "unavailable",
                    provider = self.provider.name(),
                    reason = reason.as_str(),
                );
                Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, reason).into_response())
            }
            Err(AuthError::Failed(detail)) => {
                let detail = redact(detail);
                tracing::error!(
                    target: "webmethod::auth",
                    request_id = request_id(request),
                    method = %request.method(),
                    route = route_name(target),
                    outcome = "error",
                    provider = self.provider.name(),
                    reason = detail.as_str(),
                );
                Err(unauthorized(
                    "Authentication service error".to_owned(),
                    challenge,
                ))
            }
        }
    }
}

/// A provider's verdict as the metrics name it.
fn outcome_word(outcome: &Result<Arc<User>, AuthError>) -> &'static str {
    match outcome {
        Ok(_) => "authenticated",
        Err(AuthError::Rejected(_) | AuthError::Declined(_)) => "denied",
        Err(AuthError::Unavailable(_)) => "unavailable",
        Err(_) => "error",
    }
}

/// Keeps the token out of any Debug output of the request from here on.
fn mark_sensitive(request: &mut Request) {
    if let Some(value) = request.headers_mut().get_mut(AUTHORIZATION) {
        value.set_sensitive(true);
    }
}

/// What a provider may look at.
fn head(request: &Request) -> RequestHead<'_> {
    RequestHead {
        method: request.method(),
        uri: request.uri(),
        headers: request.headers(),
    }
}

/// The route for logs: its template, never the raw request path.
pub(crate) fn route_name(target: Target) -> &'static str {
    match target {
        Target::Route(entry) => entry.path,
        Target::Unmatched => "<unmatched>",
    }
}

/// The request's id, for log lines (also on the request's span, when that
/// is on).
pub(crate) fn request_id(request: &Request) -> &str {
    request
        .extensions()
        .get::<crate::request_id::RequestId>()
        .and_then(|id| id.0.to_str().ok())
        .unwrap_or("")
}

fn log_denied(target: Target, request: &Request, reason: &str) {
    tracing::info!(
        target: "webmethod::auth",
        request_id = request_id(request),
        method = %request.method(),
        route = route_name(target),
        outcome = "denied",
        reason,
    );
}

fn unauthorized(message: String, challenge: Challenge) -> Response {
    let header = bearer::challenge(challenge, &message);
    let mut response = ApiError::unauthorized(message).into_response();
    response.headers_mut().insert(WWW_AUTHENTICATE, header);
    response
}
