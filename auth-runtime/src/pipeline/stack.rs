//! Every layer a request passes on its way to a handler, in request order:
//!
//! ```text
//! CORS -> body limit            the transport's, around the whole router
//!                               (`Transport::wrap`; `server.cors`,
//!                               `server.limits.max_request_body_bytes`)
//!   -> route match              axum's router: the path's handlers, its 405
//!                               answer, or the fallback
//!   -> request id -> metrics -> pipeline -> handler
//!                               this module: [`RouteStack::call`], around
//!                               each handler itself ([`RouteStack::handler`])
//! ```
//!
//! The request id sits after the match because its span names the matched
//! route template. The three steps of a route are one handler wrapped
//! around the route's handler (one future of nested futures, nothing boxed)
//! rather than a layer each around the router: axum boxes a route's service
//! again for every layer added with `Router::layer`, an allocation and a
//! dynamic call per request per layer, and a layered handler
//! (`Handler::layer`) builds its service and a one-shot future per request.

use std::convert::Infallible;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::handler::Handler;
use axum::response::Response;
use tower::{Layer, Service};

use crate::pipeline::{PipelineFuture, PipelineLayer};
use crate::serve::request_id::{RequestIdLayer, Traced};
use crate::telemetry::metrics::{self, Measured, Metrics};

/// The layers of one handler (or of a path's 405 answer, the fallback, an
/// app's merged router), built once with the router: cheap to clone (one
/// shared pointer), as axum takes a layered handler's layer per request.
#[derive(Clone)]
pub(crate) struct RouteStack(Arc<Layers>);

struct Layers {
    request_id: RequestIdLayer,
    /// The metrics and the route label they count under, when on.
    metrics: Option<(Arc<Metrics>, &'static str)>,
    /// The security steps, when the target needs any.
    pipeline: Option<PipelineLayer>,
}

impl RouteStack {
    /// The request id, then (when on) the metrics under `route`, then (when
    /// the target needs it) the pipeline.
    pub(crate) fn new(
        request_id: &RequestIdLayer,
        metrics: Option<(&Arc<Metrics>, &'static str)>,
        pipeline: Option<PipelineLayer>,
    ) -> RouteStack {
        RouteStack(Arc::new(Layers {
            request_id: request_id.clone(),
            metrics: metrics.map(|(metrics, route)| (metrics.clone(), route)),
            pipeline,
        }))
    }

    /// One request through the layers, in request order, then `inner`.
    #[inline]
    fn call<S>(&self, inner: &mut S, request: Request) -> RouteFuture<S::Future>
    where
        S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
        S::Future: Send + 'static,
    {
        let layers = &*self.0;
        // The request's id and span, the id echoed on the answer.
        layers.request_id.traced(request, |request| {
            // Counted and timed, whatever answers (a 401 or 429 too).
            let (metrics, route) = match &layers.metrics {
                Some((metrics, route)) => (Some(metrics), *route),
                None => (None, ""),
            };
            metrics::measured(metrics, route, request, |request| {
                // The security steps, then the handler.
                match &layers.pipeline {
                    Some(pipeline) => pipeline.call(inner, request),
                    None => PipelineFuture::Handler {
                        future: inner.call(request),
                    },
                }
            })
        })
    }
}

impl RouteStack {
    /// `handler` behind these layers, as a handler of its own.
    pub(crate) fn handler<H>(&self, handler: H) -> Stacked<H> {
        Stacked {
            handler,
            stack: self.clone(),
        }
    }
}

/// The answer's future of a [`RouteStack`].
pub(crate) type RouteFuture<F> = Traced<Measured<PipelineFuture<F>>>;

/// A handler behind its [`RouteStack`]: axum calls it as it calls the
/// handler, with no service built per request.
#[derive(Clone)]
pub(crate) struct Stacked<H> {
    handler: H,
    stack: RouteStack,
}

impl<H, T, S> Handler<T, S> for Stacked<H>
where
    H: Handler<T, S>,
    T: 'static,
    S: Clone + Send + Sync + 'static,
{
    type Future = Unwrapped<RouteFuture<Called<H::Future>>>;

    #[inline]
    fn call(self, request: Request, state: S) -> Self::Future {
        let mut handler = HandlerCall {
            handler: self.handler,
            state,
            _types: PhantomData,
        };
        Unwrapped {
            future: self.stack.call(&mut handler, request),
        }
    }
}

/// A handler and its state as the pipeline calls it (a service).
struct HandlerCall<H, T, S> {
    handler: H,
    state: S,
    _types: PhantomData<fn() -> T>,
}

impl<H: Clone, T, S: Clone> Clone for HandlerCall<H, T, S> {
    fn clone(&self) -> Self {
        HandlerCall {
            handler: self.handler.clone(),
            state: self.state.clone(),
            _types: PhantomData,
        }
    }
}

impl<H, T, S> Service<Request> for HandlerCall<H, T, S>
where
    H: Handler<T, S>,
    T: 'static,
    S: Clone + Send + Sync + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Called<H::Future>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    #[inline]
    fn call(&mut self, request: Request) -> Self::Future {
        Called {
            future: self.handler.clone().call(request, self.state.clone()),
        }
    }
}

pin_project_lite::pin_project! {
    /// A handler's future as a service's (never an error).
    pub(crate) struct Called<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future<Output = Response>> Future for Called<F> {
    type Output = Result<Response, Infallible>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.project().future.poll(cx).map(Ok)
    }
}

pin_project_lite::pin_project! {
    /// A service's future (never an error) as a handler's.
    pub(crate) struct Unwrapped<F> {
        #[pin]
        future: F,
    }
}

impl<F: Future<Output = Result<Response, Infallible>>> Future for Unwrapped<F> {
    type Output = Response;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Response> {
        self.project().future.poll(cx).map(|answer| match answer {
            Ok(response) => response,
            Err(never) => match never {},
        })
    }
}

impl<S> Layer<S> for RouteStack {
    type Service = RouteService<S>;

    fn layer(&self, inner: S) -> RouteService<S> {
        RouteService {
            inner,
            stack: self.clone(),
        }
    }
}

/// A handler behind its [`RouteStack`].
#[derive(Clone)]
pub(crate) struct RouteService<S> {
    inner: S,
    stack: RouteStack,
}

impl<S> Service<Request> for RouteService<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = RouteFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    #[inline]
    fn call(&mut self, request: Request) -> Self::Future {
        self.stack.call(&mut self.inner, request)
    }
}
