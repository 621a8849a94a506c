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

/// Serves `router` on a free port of 127.0.0.1; returns `http://<addr>`.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

/// Serves the routes registered in `module` behind the security stack that
/// the config `yaml` describes; returns `http://<addr>`.
pub async fn serve_module(module: &str, yaml: &str) -> String {
    let config = auth_runtime::config::Config::parse(yaml, "test", &|_| None).unwrap();
    let router = auth_runtime::RouterBuilder::new()
        .entries(entries_of(module))
        .guards(auth_runtime::security::stack(&config, None).unwrap())
        .build()
        .unwrap()
        .router;
    serve(router).await
}
