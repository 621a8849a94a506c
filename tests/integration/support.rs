//! Helpers shared by the integration tests.

use auth_runtime::RouteEntry;
use auth_runtime::registry;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// The registered entries whose module path starts with `module`.
pub fn entries_of(module: &str) -> Vec<&'static RouteEntry> {
    registry::registered()
        .into_iter()
        .filter(|e| e.module_path.starts_with(module))
        .collect()
}

/// Sends one request through the router, in process.
pub async fn send(
    router: &Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
) -> Response<Body> {
    let mut request = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

/// The body as JSON.
pub async fn json(response: Response<Body>) -> serde_json::Value {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("not JSON ({e}): {bytes:?}"))
}
