//! axum's `Json`, `Path` and `Query`, with rejections in webmethod's JSON error
//! shape (`{"error": {"message": ...}}`) instead of plain text.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::response::{IntoResponse, Response};

pub(crate) mod error;

use error::ApiError;

/// A JSON request body, or a JSON response. A bad body is a 400/415/422 JSON error.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
#[expect(
    clippy::exhaustive_structs,
    reason = "a newtype that handlers destructure in their arguments; it never grows"
)]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Path parameters. A parameter that does not parse is a 400 JSON error.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
#[expect(
    clippy::exhaustive_structs,
    reason = "a newtype that handlers destructure in their arguments; it never grows"
)]
pub struct Path<T>(pub T);

/// The query string. One that does not parse is a 400 JSON error.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
#[expect(
    clippy::exhaustive_structs,
    reason = "a newtype that handlers destructure in their arguments; it never grows"
)]
pub struct Query<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        ApiError::new(rejection.status(), rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        ApiError::new(rejection.status(), rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::new(rejection.status(), rejection.body_text())
    }
}
