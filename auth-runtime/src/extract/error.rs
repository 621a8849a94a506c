//! Error answers: a status and a JSON body, built in one place.
//!
//! 401/404/405/429/500/503 carry `{"error": {"message": ...}}`; 403 carries
//! `{"error": {"detail": ...}}`, as llama-stack answers them.

use std::borrow::Cow;

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
#[cfg(feature = "openapi")]
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Serialize;
use serde_json::json;

/// An error answer. Handlers may return it directly.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// The answer's status code.
    pub status: StatusCode,
    /// The text of the body: its `detail` for 403, its `message` otherwise.
    pub message: Cow<'static, str>,
}

impl ApiError {
    /// An answer with any status.
    pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 401 Unauthorized.
    pub fn unauthorized(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }

    /// 403 Forbidden (the message goes in `detail`).
    pub fn forbidden(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, message)
    }

    /// 404 Not Found.
    pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// 409 Conflict.
    pub fn conflict(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, message)
    }

    /// The JSON body of this error.
    pub fn body(&self) -> serde_json::Value {
        if self.status == StatusCode::FORBIDDEN {
            json!({"error": {"detail": self.message}})
        } else {
            json!({"error": {"message": self.message}})
        }
    }
}

/// The body, as a response sends it (what [`ApiError::body`] gives).
impl Serialize for ApiError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.body().serialize(serializer)
    }
}

/// The body's schema: `{"error": {"message"}}`, or `{"error": {"detail"}}` for 403.
#[cfg(feature = "openapi")]
impl JsonSchema for ApiError {
    fn schema_name() -> Cow<'static, str> {
        "ApiError".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An error answer: `detail` for 403, `message` otherwise.",
            "anyOf": [
                generator.subschema_for::<ErrorMessage>(),
                generator.subschema_for::<ErrorDetail>(),
            ]
        })
    }
}

/// The body of every error answer but 403, for the API description.
#[cfg(feature = "openapi")]
#[derive(Serialize, JsonSchema)]
#[allow(dead_code)] // only its schema is used
pub(crate) struct ErrorMessage {
    error: MessageField,
}

#[cfg(feature = "openapi")]
#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
#[allow(dead_code)]
struct MessageField {
    message: String,
}

/// The body of a 403 answer, for the API description.
#[cfg(feature = "openapi")]
#[derive(Serialize, JsonSchema)]
#[allow(dead_code)]
pub(crate) struct ErrorDetail {
    error: DetailField,
}

#[cfg(feature = "openapi")]
#[derive(Serialize, JsonSchema)]
#[schemars(inline)]
#[allow(dead_code)]
struct DetailField {
    detail: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)
    }
}

impl std::error::Error for ApiError {}

/// JSON 404 for requests that match no route.
pub(crate) async fn not_found() -> ApiError {
    ApiError::not_found("Not Found")
}
