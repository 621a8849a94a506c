//! What `#[webmethod]`'s generated code names. Not a public API.

pub use crate::registry::{Method, RouteEntry};
pub use crate::state::{MissingState, StateMap};
pub use axum::routing::{MethodRouter, on};
pub use inventory;
