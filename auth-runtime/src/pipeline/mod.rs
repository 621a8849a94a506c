//! The request path (DESIGN.md "Request path through the stack"), in one place
//! and in request order:
//!
//! ```text
//! client address -> address admission -> authentication -> principal admission
//!   (over the address limit: only credentials accepted from memory, else 429)
//!   -> required_scope -> route policy -> the caller, once, for the extractors
//!   -> the app's own guards -> handler          (RateLimit-* on the answer)
//! ```
//!
//! The steps are concrete values built once at startup ([`Security`]); which of
//! them a route needs is decided when the router is built ([`Pipeline::layer`]),
//! so a route that needs none gets no layer at all and pays nothing.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use tower::{Service, ServiceExt};

use crate::authz;
use crate::pipeline::caller::Caller;
use crate::pipeline::guard::Guard;
use crate::principal::User;
use crate::quota::{Charge, Refused, Window};
use crate::route::target::Target;
use crate::security::Security;
use crate::telemetry::decision_log;

pub(crate) mod caller;
pub(crate) mod guard;
pub(crate) mod plan;
pub(crate) mod stack;

use plan::{Authenticate, Facts, Plan};

/// The security steps of one router.
pub(crate) struct Pipeline {
    security: Security,
    /// The app's own steps, after the built-in ones.
    guards: Box<[Arc<dyn Guard>]>,
}

impl Pipeline {
    pub(crate) fn new(security: Security, guards: Vec<Arc<dyn Guard>>) -> Arc<Pipeline> {
        Arc::new(Pipeline {
            security,
            guards: guards.into_boxed_slice(),
        })
    }

    /// The layer in front of `target`, or `None` when no step applies to it.
    pub(crate) fn layer(self: &Arc<Self>, target: Target) -> Option<PipelineLayer> {
        let security = &self.security;
        let facts = Facts {
            authentication: security.authn.is_some(),
            routes: security.routes.as_ref(),
            quota: security.quota.as_ref().map(|q| &q.exempt_routes),
            guards: !self.guards.is_empty(),
        };
        let plan = Plan::decide(target, &facts);
        plan.needed().then(|| PipelineLayer {
            pipeline: self.clone(),
            plan,
        })
    }

    /// Warns about each configured `server.quota.exempt_routes` entry that
    /// names none of `paths` (the router's route templates): a typo there
    /// would otherwise leave a probe charged without a word. A WARN, not a
    /// load error: exempting nothing is the side that limits more.
    pub(crate) fn warn_unknown_exemptions<'p>(&self, paths: impl Iterator<Item = &'p str> + Clone) {
        let Some(quota) = &self.security.quota else {
            return;
        };
        if !quota.exempt_routes.configured {
            return;
        }
        for route in &quota.exempt_routes.routes {
            if !paths.clone().any(|p| p == route) {
                tracing::warn!(
                    target: "webmethod::quota",
                    route = route.as_str(),
                    "server.quota.exempt_routes names no route of this server; it exempts nothing",
                );
            }
        }
    }

    /// Runs the steps, then the handler (or answers in its place), and puts
    /// the charged subject's `RateLimit-*` headers on whatever answers.
    async fn run<S>(&self, plan: Plan, mut request: Request, inner: S) -> Response
    where
        S: Service<Request, Response = Response, Error = Infallible>,
    {
        let mut charged = None;
        let mut response = match self.admit(plan, &mut request, &mut charged).await {
            Ok(()) => match inner.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            },
            Err(answer) => answer,
        };
        if let Some(charge) = charged {
            charge.write(response.headers_mut());
        }
        response
    }

    /// The steps, one paragraph each, in request order. `Err` is the answer
    /// that stops the request; `charged` is what the quota counted.
    async fn admit(
        &self,
        plan: Plan,
        request: &mut Request,
        charged: &mut Option<Charge>,
    ) -> Result<(), Response> {
        let security = &self.security;

        // Client address and address admission: charged before any provider
        // call, so an address over its limit never reaches the provider.
        let mut over_limit = None;
        let admission = match security.quota.as_ref().filter(|_| plan.charge()) {
            Some(quota) => {
                let client = quota.client(request).map_err(IntoResponse::into_response)?;
                let window = Window::current(quota.period);
                match quota.charge_address(client, window).await {
                    Ok(charge) => *charged = Some(charge),
                    Err(Refused::Exceeded(answer)) => over_limit = Some(answer),
                    Err(refused @ Refused::Failed(_)) => return Err(refused.into_response()),
                }
                Some((quota, client, window))
            }
            None => None,
        };

        // Authentication (behind the validation cache when configured). Over
        // the address limit, only credentials accepted without a provider
        // call pay for themselves; anything else keeps the 429.
        let user = match (over_limit, plan.authenticate, &security.authn) {
            (Some(answer), Authenticate::Skip, _) | (Some(answer), _, None) => {
                return Err(answer);
            }
            (Some(answer), _, Some(authn)) => match authn.accepted_now(plan.target, request) {
                Some(user) => Some(user),
                None => return Err(answer),
            },
            (None, Authenticate::Required, Some(authn)) => {
                Some(authn.required(plan.target, request).await?)
            }
            (None, Authenticate::Optional, Some(authn)) => {
                authn.optional(plan.target, request).await
            }
            _ => None,
        };

        // Principal admission: an authenticated caller counts against itself
        // (and its address's count, over the limit or not, is given back).
        if let (Some((quota, client, window)), Some(user)) = (admission, &user) {
            // A 429 or 500 here carries its own headers.
            *charged = None;
            *charged = Some(
                quota
                    .charge_principal(client, &user.principal, window)
                    .await?,
            );
        }

        // required_scope, route policy, the caller for the extractors.
        self.authorize(plan, request, user)?;

        // The app's own guards.
        for guard in &self.guards {
            guard.check(plan.target, request).await?;
        }
        Ok(())
    }

    /// [`admit`](Self::admit) without waiting, when nothing on this request's
    /// path needs to (no quota store, no guard, a provider that answers from
    /// memory: api_keys, a validation cache hit). `None`: take the async path.
    fn admit_now(&self, plan: Plan, request: &mut Request) -> Option<Result<(), Response>> {
        let security = &self.security;
        if plan.charge() || !self.guards.is_empty() {
            return None;
        }
        let user = match (plan.authenticate, &security.authn) {
            (Authenticate::Required, Some(authn)) => {
                match authn.required_now(plan.target, request)? {
                    Ok(user) => Some(user),
                    Err(answer) => return Some(Err(answer)),
                }
            }
            (Authenticate::Optional, Some(authn)) => authn.optional_now(plan.target, request)?,
            _ => None,
        };
        Some(self.authorize(plan, request, user))
    }

    /// The steps after authentication that never wait: `required_scope`, the
    /// route policy, and the caller, put in the extensions once for
    /// `AuthenticatedUser`, `Access` and the guards.
    #[expect(
        clippy::result_large_err,
        reason = "the answer is the error: a cold path, moved once"
    )]
    fn authorize(
        &self,
        plan: Plan,
        request: &mut Request,
        user: Option<Arc<User>>,
    ) -> Result<(), Response> {
        let security = &self.security;
        if let Some(scope) = plan.scope {
            let checked = authz::scope::check(
                scope,
                user.as_deref(),
                request.method(),
                plan.target,
                security.telemetry.metrics().map(|m| &**m),
            );
            if let Some(log) = security.telemetry.decisions() {
                let reason = format!("required scope {scope}");
                log.record(&decision_log::Entry {
                    outcome: if checked.is_ok() { "allowed" } else { "denied" },
                    reason: &reason,
                    ..decision_log::Entry::about("scope", plan.target, request, user.as_deref())
                });
            }
            checked.map_err(|denied| {
                // RFC 6750 §3.1: the scope that would do, for the client to ask for.
                let mut answer = denied.into_response();
                answer.headers_mut().insert(
                    axum::http::header::WWW_AUTHENTICATE,
                    crate::authn::bearer::insufficient_scope(scope),
                );
                answer
            })?;
        }
        if plan.route_policy
            && let Some(policy) = &security.routes
        {
            policy
                .check(plan.target, request, user.as_deref(), &security.telemetry)
                .map_err(IntoResponse::into_response)?;
        }
        if plan.caller {
            let mut caller = Caller::new(
                user,
                security.authn.is_some(),
                security.access.clone(),
                &security.telemetry,
            );
            if security.telemetry.decisions().is_some() {
                // The handler's `Access` decisions are logged with the request's id.
                caller = caller.with_context(decision_log::Context {
                    request_id: request
                        .extensions()
                        .get::<crate::serve::request_id::RequestId>()
                        .map(|id| id.0.clone()),
                    route: plan.target.route_name(),
                    method: request.method().clone(),
                });
            }
            request.extensions_mut().insert(caller);
        }
        Ok(())
    }
}

/// The pipeline in front of one route (or the fallbacks): the router's
/// steps and this target's plan.
#[derive(Clone)]
pub(crate) struct PipelineLayer {
    pipeline: Arc<Pipeline>,
    plan: Plan,
}

impl PipelineLayer {
    /// Takes the steps of the plan for `request`, then calls `inner` (or
    /// answers in its place).
    #[inline]
    pub(crate) fn call<S>(&self, inner: &mut S, mut request: Request) -> PipelineFuture<S::Future>
    where
        S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
        S::Future: Send + 'static,
    {
        // Nothing to wait for: the handler's own future, nothing boxed.
        match self.pipeline.admit_now(self.plan, &mut request) {
            Some(Ok(())) => {
                return PipelineFuture::Handler {
                    future: inner.call(request),
                };
            }
            Some(Err(answer)) => {
                return PipelineFuture::Answer {
                    answer: Some(answer),
                };
            }
            None => {}
        }
        let inner = inner.clone();
        let pipeline = self.pipeline.clone();
        let plan = self.plan;
        PipelineFuture::Steps {
            future: Box::pin(async move { pipeline.run(plan, request, inner).await }),
        }
    }
}

pin_project_lite::pin_project! {
    /// What the pipeline answers with.
    #[project = Projected]
    pub(crate) enum PipelineFuture<F> {
        /// The steps were taken without waiting: the handler runs.
        Handler { #[pin] future: F },
        /// A step answered without waiting (401, 403, ...).
        Answer { answer: Option<Response> },
        /// A step has to wait (a provider call, the quota store, a guard).
        Steps { future: Pin<Box<dyn Future<Output = Response> + Send>> },
    }
}

impl<F> Future for PipelineFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            Projected::Handler { future } => future.poll(cx),
            Projected::Answer { answer } => match answer.take() {
                Some(answer) => Poll::Ready(Ok(answer)),
                // Polled after completion: a caller's bug, answered, never a panic.
                None => Poll::Ready(Ok(
                    axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response()
                )),
            },
            Projected::Steps { future } => future.as_mut().poll(cx).map(Ok),
        }
    }
}
