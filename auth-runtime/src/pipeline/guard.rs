//! An app's own steps: each [`Guard`] runs after the built-in security steps
//! (in the order of the request path), for exactly the route that serves the
//! request, the 404 fallback and the 405 answer included.

use async_trait::async_trait;
use axum::extract::Request;
use axum::response::Response;

use crate::route::target::Target;

/// One step of the per-route security stack.
///
/// A guard may change the request (the authentication step inserts the user)
/// or answer in its place; an answer stops the request before the handler.
/// Register an app's own with [`App::guard`](crate::App::guard) or
/// [`RouterBuilder::guard`](crate::RouterBuilder::guard).
///
/// ```
/// use auth_runtime::{ApiError, App, Guard, Target, async_trait};
/// use axum::extract::Request;
/// use axum::http::StatusCode;
/// use axum::response::{IntoResponse, Response};
///
/// /// Refuses every write while the service is in maintenance.
/// struct ReadOnly;
///
/// #[async_trait]
/// impl Guard for ReadOnly {
///     async fn check(&self, _target: Target, request: &mut Request) -> Result<(), Response> {
///         if request.method().is_safe() {
///             return Ok(());
///         }
///         let refusal = ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "read-only during maintenance");
///         Err(refusal.into_response())
///     }
/// }
///
/// let app = App::new().guard(ReadOnly);
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut post = Request::post("/v1/models").body(axum::body::Body::empty()).unwrap();
/// let answer = ReadOnly.check(Target::Unmatched, &mut post).await.unwrap_err();
/// assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
/// # });
/// ```
#[async_trait]
pub trait Guard: Send + Sync + 'static {
    /// Runs before the handler of `target`: `Ok` lets the request go on (as
    /// the guard may have changed it), `Err` is the answer sent instead.
    async fn check(&self, target: Target, request: &mut Request) -> Result<(), Response>;
}
