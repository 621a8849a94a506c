//! Every layer a request passes on its way to a handler, in request order:
//!
//! ```text
//! CORS -> body limit            the transport's, around the whole router
//!                               (`Transport::wrap`; `server.cors`,
//!                               `server.limits.max_request_body_bytes`)
//!   -> route match              axum's router: the path's handlers, its 405
//!                               answer, or the fallback
//!   -> request id -> metrics -> pipeline -> handler
//!                               this module: one layer, [`RouteStack`], put
//!                               around each handler itself ([`RouteStack::call`])
//! ```
//!
//! The request id sits after the match because its span names the matched
//! route template. The three steps of a route are one layer (one service,
//! one future of nested futures, nothing boxed) rather than a layer each
//! around the router: axum boxes a route's service again for every layer
//! added with `Router::layer`, an allocation and a dynamic call per request
//! per layer.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
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

/// The answer's future of a [`RouteStack`].
pub(crate) type RouteFuture<F> = Traced<Measured<PipelineFuture<F>>>;

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
