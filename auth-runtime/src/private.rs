//! What `#[webmethod]`'s generated code names. Not a public API.

pub use crate::openapi::record::{
    BodyDoc, Content, JsonRejection, OperationDoc, Probe, Rejection, ResponseDoc, SchemaFn,
    TextRejection, WithSchema, WithoutSchema,
};
pub use crate::pipeline::PipelineLayer;
pub use crate::registry::{Method, RouteEntry};
pub use crate::state::{MissingState, StateMap};
pub use axum::routing::MethodRouter;
pub use inventory;
pub use schemars::{Schema, SchemaGenerator};

use axum::handler::Handler;
use axum::routing::{MethodFilter, on};

/// A handler's method router, the security pipeline (when the route needs
/// one) wrapped around the handler itself, before axum boxes it: one boxed
/// service per request instead of two (`route_layer` would add its own).
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
    match pipeline {
        Some(layer) => on(filter, handler.layer(layer.clone())),
        None => on(filter, handler),
    }
}
