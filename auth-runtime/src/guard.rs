//! The hook where the security stack attaches: each [`Guard`] is one step
//! (quota, authentication, scope, route policy), run in order for exactly the
//! route that serves the request.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_trait::async_trait;
use axum::extract::Request;
use axum::response::Response;
use tower::{Layer, Service, ServiceExt};

use crate::registry::RouteEntry;

/// What a request is about to reach.
#[derive(Clone, Copy, Debug)]
pub enum Target {
    /// The route that will serve it.
    Route(&'static RouteEntry),
    /// No route: the answer will be 404 or 405. Treated as protected, so a
    /// caller must authenticate before learning which paths exist.
    Unmatched,
}

impl Target {
    /// Whether the caller must be authenticated (always, for unmatched requests).
    pub fn requires_authentication(self) -> bool {
        match self {
            Target::Route(entry) => entry.require_authentication,
            Target::Unmatched => true,
        }
    }

    /// The scope the route requires, if any.
    pub fn required_scope(self) -> Option<&'static str> {
        match self {
            Target::Route(entry) => entry.required_scope,
            Target::Unmatched => None,
        }
    }

    /// The route entry, when there is one.
    pub fn entry(self) -> Option<&'static RouteEntry> {
        match self {
            Target::Route(entry) => Some(entry),
            Target::Unmatched => None,
        }
    }
}

/// One step of the per-route security stack.
///
/// A guard may change the request (the authentication step inserts the user)
/// or answer in its place; an answer stops the request before the handler.
#[async_trait]
pub trait Guard: Send + Sync + 'static {
    async fn check(&self, target: Target, request: &mut Request) -> Result<(), Response>;
}

pub(crate) type Guards = Arc<[Arc<dyn Guard>]>;

/// Runs the guards for one target in front of a service.
#[derive(Clone)]
pub(crate) struct GuardLayer {
    target: Target,
    guards: Guards,
}

impl GuardLayer {
    pub(crate) fn new(target: Target, guards: Guards) -> Self {
        GuardLayer { target, guards }
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> GuardService<S> {
        GuardService {
            inner,
            target: self.target,
            guards: self.guards.clone(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct GuardService<S> {
    inner: S,
    target: Target,
    guards: Guards,
}

impl<S> Service<Request> for GuardService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The inner service is driven with `oneshot`, which waits for readiness.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let inner = self.inner.clone();
        let guards = self.guards.clone();
        let target = self.target;
        Box::pin(async move {
            for guard in guards.iter() {
                if let Err(answer) = guard.check(target, &mut request).await {
                    return Ok(answer);
                }
            }
            inner.oneshot(request).await
        })
    }
}
