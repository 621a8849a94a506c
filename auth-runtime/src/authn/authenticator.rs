//! The authentication step of the pipeline: the bearer token, the provider's
//! verdict, and the answer (401 with `WWW-Authenticate`, or 503) when it fails.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use axum::response::{IntoResponse, Response};

use super::bearer::{self, Challenge, Credentials};
use super::provider_set::{NO_PROVIDER, ProviderSet, Verdict};
use super::tenancy::{TENANT_REQUIRED, Tenancy};
use super::{AuthError, AuthProvider, RequestHead};
use crate::extract::error::ApiError;
use crate::principal::User;
use crate::route::target::Target;
use crate::telemetry::Telemetry;
use crate::telemetry::decision_log::Entry;

/// Authenticates requests with the configured provider or providers
/// (each behind its validation cache when the config asks for one), and
/// labels every verdict with the provider that gave it.
#[derive(Clone)]
pub(crate) struct Authenticator {
    provider: Arc<dyn AuthProvider>,
    /// Several providers: asked directly, so that each verdict comes with
    /// the name of the provider that gave it.
    set: Option<Arc<ProviderSet>>,
    /// What labels verdicts no provider of the set gave (no credentials, a
    /// token none takes), or every verdict of the one provider: its name.
    name: Arc<str>,
    /// Where verdicts are counted and logged (the router's own).
    telemetry: Telemetry,
    /// `server.tenancy`: the tenant required (`multi`) or stamped (`single`).
    tenancy: Tenancy,
}

/// The bearer token a request carries, as far as the provider needs one.
enum Token<'r> {
    /// `Some` for providers that take a bearer token, `None` for those that
    /// read other headers (a gateway's).
    Sent(Option<&'r str>),
    Missing,
    Malformed,
}

/// Why a provider's verdict did not give a user, as the answer needs it.
enum Failure {
    /// Rejected or declined: 401 with this reason (redacted).
    Denied(String),
    /// The provider is unreachable: 503 with this reason (redacted).
    Unavailable(String),
    /// Anything else: 401 "Authentication service error".
    Error,
}

impl Authenticator {
    /// A provider of the app's own (or the testing kit's): its verdicts
    /// labelled with its [`name`](AuthProvider::name).
    pub(crate) fn new(provider: Arc<dyn AuthProvider>) -> Self {
        let name = provider.name().into();
        Authenticator {
            provider,
            set: None,
            name,
            telemetry: Telemetry::off(),
            tenancy: Tenancy::Disabled,
        }
    }

    /// The one configured provider, named `name` in metrics and logs.
    pub(crate) fn named(provider: Arc<dyn AuthProvider>, name: Arc<str>) -> Self {
        Authenticator {
            provider,
            set: None,
            name,
            telemetry: Telemetry::off(),
            tenancy: Tenancy::Disabled,
        }
    }

    /// Several configured providers.
    pub(crate) fn several(set: Arc<ProviderSet>) -> Self {
        Authenticator {
            provider: set.clone(),
            set: Some(set),
            name: NO_PROVIDER.into(),
            telemetry: Telemetry::off(),
            tenancy: Tenancy::Disabled,
        }
    }

    /// Requires or stamps tenants as `tenancy` says.
    pub(crate) fn with_tenancy(mut self, tenancy: Tenancy) -> Self {
        self.tenancy = tenancy;
        self
    }

    /// Counts and logs verdicts in `telemetry`.
    pub(crate) fn with_telemetry(mut self, telemetry: Telemetry) -> Self {
        self.telemetry = telemetry;
        self
    }

    /// The provider it asks (the testing kit wraps it).
    #[cfg(feature = "testing")]
    pub(crate) fn into_provider(self) -> Arc<dyn AuthProvider> {
        self.provider
    }

    /// The verdict on `token`, and the name of the provider that gave it.
    async fn verdict(&self, token: Option<&str>, request: RequestHead<'_>) -> Verdict<'_> {
        match &self.set {
            Some(set) => set.decide(token, request).await,
            None => (&self.name, self.provider.authenticate(token, request).await),
        }
    }

    /// [`verdict`](Self::verdict) when it needs no waiting; `None` when it does.
    fn verdict_now(&self, token: Option<&str>, request: RequestHead<'_>) -> Option<Verdict<'_>> {
        match &self.set {
            Some(set) => set.decide_now(token, request),
            None => Some((&self.name, self.provider.authenticate_now(token, request)?)),
        }
    }

    /// Optional authentication (a public route whose handler takes
    /// `Option<AuthenticatedUser>`): the user when the caller sent
    /// credentials the provider accepts; `None` otherwise, whatever the
    /// reason (none sent, malformed, rejected, provider down). Never an
    /// answer; a token presented and not accepted is logged and audited as
    /// on any route.
    pub(crate) async fn optional(
        &self,
        target: Target,
        request: &mut Request,
    ) -> Option<Arc<User>> {
        mark_sensitive(request);
        let Token::Sent(token) = self.token(request) else {
            return None;
        };
        let (by, outcome) = self.verdict(token, head(request)).await;
        self.settle(target, request, token, by, outcome).ok()
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
        let (by, outcome) = self.verdict_now(token, head(request))?;
        Some(self.settle(target, request, token, by, outcome).ok())
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
        let (by, outcome) = self.verdict(token, head(request)).await;
        self.required_outcome(target, request, token, by, outcome)
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
        let (by, outcome) = self.verdict_now(token, head(request))?;
        Some(self.required_outcome(target, request, token, by, outcome))
    }

    /// The user when the provider accepts the request's credentials without
    /// a call (API keys, a validation-cache hit); `None` for anything else
    /// (none sent, rejected, or only a provider call could tell). For an
    /// address over its quota, which answers 429 whatever the reason, so a
    /// refusal is not logged here (one line per flooded request would be
    /// a log flood); an acceptance is, as on the normal path.
    pub(crate) fn accepted_now(&self, target: Target, request: &mut Request) -> Option<Arc<User>> {
        mark_sensitive(request);
        let Token::Sent(token) = self.token(request) else {
            return None;
        };
        let (by, outcome) = self.verdict_now(token, head(request))?;
        // Counted, audited and logged as any acceptance is.
        self.settle(target, request, token, by, Ok(outcome.ok()?))
            .ok()
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
        let (reason, message, challenge) = match self.token(request) {
            Token::Sent(token) => return Ok(token),
            Token::Missing => (
                "missing credentials",
                self.provider.missing_credentials_message(),
                Challenge::Missing,
            ),
            Token::Malformed => (
                "invalid Authorization header format",
                "Invalid Authorization header format".to_owned(),
                Challenge::InvalidRequest,
            ),
        };
        // No provider was asked: labelled with the one provider, or none.
        self.count(&self.name, "denied");
        self.audit(target, request, None, &self.name, "denied", reason);
        log_denied(target, request, &self.name, reason);
        Err(unauthorized(message, challenge))
    }

    /// Counts, audits and logs a provider's verdict (`by`: the provider that
    /// gave it): the user, or why not, its reason redacted.
    fn settle(
        &self,
        target: Target,
        request: &Request,
        token: Option<&str>,
        by: &str,
        outcome: Result<Arc<User>, AuthError>,
    ) -> Result<Arc<User>, Failure> {
        let word = outcome_word(&outcome);
        self.count(by, word);
        match outcome {
            Ok(mut user) => {
                // Configured providers stamp their users under the cache; an
                // app's own provider is stamped here.
                if let Tenancy::Single(tenant) = &self.tenancy
                    && user.tenant() != Some(&**tenant)
                {
                    Arc::make_mut(&mut user).stamp_tenant(tenant);
                }
                self.audit(target, request, Some(&user), by, word, "authenticated");
                log_authenticated(target, request, &user, by);
                Ok(user)
            }
            Err(AuthError::Rejected(reason) | AuthError::Declined(reason)) => {
                // Whatever a provider says is redacted: an endpoint may echo the token.
                let reason = redact(token, reason);
                self.audit(target, request, None, by, word, &reason);
                log_denied(target, request, by, &reason);
                Err(Failure::Denied(reason))
            }
            Err(AuthError::Unavailable(reason)) => {
                let reason = redact(token, reason);
                self.audit(target, request, None, by, word, &reason);
                tracing::warn!(
                    target: "webmethod::auth",
                    request_id = crate::serve::request_id::of(request),
                    method = %request.method(),
                    route = target.route_name(),
                    outcome = "unavailable",
                    provider = by,
                    reason = reason.as_str(),
                );
                Err(Failure::Unavailable(reason))
            }
            Err(AuthError::Failed(detail)) => {
                let detail = redact(token, detail);
                self.audit(target, request, None, by, word, &detail);
                tracing::error!(
                    target: "webmethod::auth",
                    request_id = crate::serve::request_id::of(request),
                    method = %request.method(),
                    route = target.route_name(),
                    outcome = "error",
                    provider = by,
                    reason = detail.as_str(),
                );
                Err(Failure::Error)
            }
        }
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
        by: &str,
        outcome: Result<Arc<User>, AuthError>,
    ) -> Result<Arc<User>, Response> {
        let challenge = if token.is_some() {
            Challenge::InvalidToken
        } else {
            Challenge::Missing
        };
        match self.settle(target, request, token, by, outcome) {
            Ok(user) if self.tenancy == Tenancy::Multi && user.tenant().is_none() => {
                // Authenticated, but `multi` serves no caller outside a tenant.
                self.audit(target, request, Some(&user), by, "denied", TENANT_REQUIRED);
                log_denied(target, request, by, TENANT_REQUIRED);
                Err(unauthorized(TENANT_REQUIRED.to_owned(), challenge))
            }
            Ok(user) => Ok(user),
            Err(Failure::Denied(reason)) => Err(unauthorized(reason, challenge)),
            Err(Failure::Unavailable(reason)) => {
                Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, reason).into_response())
            }
            Err(Failure::Error) => Err(unauthorized(
                "Authentication service error".to_owned(),
                challenge,
            )),
        }
    }
}

/// `text` without `token`, or any piece of it of 8 characters or more, in
/// any case: what a provider says may echo the token ([`super::redact::token`]).
fn redact(token: Option<&str>, text: String) -> String {
    match token {
        Some(token) => super::redact::token(text, token),
        None => text,
    }
}

impl Authenticator {
    /// Counts the decision, by the provider that took it.
    fn count(&self, by: &str, outcome: &'static str) {
        if let Some(metrics) = self.telemetry.metrics() {
            metrics.auth(by, outcome);
        }
    }

    /// Logs the decision (`server.auth.decision_log`), naming the provider
    /// that took it.
    fn audit(
        &self,
        target: Target,
        request: &Request,
        user: Option<&User>,
        by: &str,
        outcome: &str,
        reason: &str,
    ) {
        if let Some(log) = self.telemetry.decisions() {
            log.record(&Entry {
                outcome,
                reason,
                provider: Some(by),
                ..Entry::about("authentication", target, request, user)
            });
        }
    }
}

fn log_authenticated(target: Target, request: &Request, user: &User, by: &str) {
    crate::serve::request_id::record_principal(&user.principal);
    tracing::debug!(
        target: "webmethod::auth",
        request_id = crate::serve::request_id::of(request),
        // As a str field: quoted and escaped, so a provider's newline
        // or escape sequence never starts a log line of its own.
        principal = user.principal.as_str(),
        method = %request.method(),
        route = target.route_name(),
        outcome = "authenticated",
        // The configured provider's name (which of several accepted).
        provider = by,
        tenant = user.tenant(),
    );
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

fn log_denied(target: Target, request: &Request, by: &str, reason: &str) {
    tracing::info!(
        target: "webmethod::auth",
        request_id = crate::serve::request_id::of(request),
        method = %request.method(),
        route = target.route_name(),
        outcome = "denied",
        provider = by,
        reason,
    );
}

fn unauthorized(message: String, challenge: Challenge) -> Response {
    let header = bearer::challenge(challenge, &message);
    let mut response = ApiError::unauthorized(message).into_response();
    response.headers_mut().insert(WWW_AUTHENTICATE, header);
    response
}
