//! What `#[webmethod]`'s generated code names. Not a public API.

/// The route's pipeline as the generated code names it (opaque).
pub use crate::route::registry::RouteLayer as PipelineLayer;
// `Schema` and `SchemaGenerator` are schemars' with the `openapi` feature,
// stand-ins without it (the macro cannot see the runtime's features).
pub use crate::route::registry::record::{
    BodyDoc, Content, JsonRejection, OperationDoc, Probe, Rejection, ResponseDoc, Schema, SchemaFn,
    SchemaGenerator, TextRejection, WithSchema, WithoutSchema,
};
pub use crate::route::registry::{Method, RouteEntry, RouteEntryParts};
pub use crate::route::state::{MissingState, StateMap};
pub use axum::routing::MethodRouter;
pub use inventory;

// For the benchmarks and tests of parts that are not public API.
pub use crate::authn::providers::{JwtProvider, from_config as provider_from_config};
pub use crate::serve::transport::Transport;

use axum::handler::Handler;
use axum::routing::{MethodFilter, on};

/// A handler's method router, its layers (request id, metrics, the security
/// pipeline: `pipeline::stack`) wrapped around the handler itself, before
/// axum boxes it: one boxed service per request instead of one per layer
/// (`route_layer` and `Router::layer` would add their own).
pub fn route<H, T, S>(
    filter: MethodFilter,
    handler: H,
    pipeline: Option<&PipelineLayer>,
) -> MethodRouter<S>
where
    H: Handler<T, S>,
    T: 'static,
    S: Clone + Send + Sync + 'static,
{
    match pipeline.map(|slot| slot.get::<crate::pipeline::stack::RouteStack>()) {
        None => on(filter, handler),
        Some(Some(stack)) => on(filter, stack.handler(handler)),
        // Never: the router puts only pipeline layers there. Were it to,
        // the route answers 500 rather than run unprotected.
        Some(None) => on(filter, || async {
            axum::http::StatusCode::INTERNAL_SERVER_ERROR
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    /// A slot holding anything but a pipeline layer never serves the
    /// handler unprotected.
    #[tokio::test]
    async fn a_slot_without_a_pipeline_answers_500_not_the_handler() {
        let slot = PipelineLayer::new("not a layer");
        let router: MethodRouter<()> = route(MethodFilter::GET, || async { "secret" }, Some(&slot));
        let response = axum::Router::new()
            .route("/", router)
            .oneshot(axum::http::Request::new(axum::body::Body::empty()))
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            axum::http::StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
