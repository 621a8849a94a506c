//! The router built from the registry: handlers, state, JSON 404/405, and the
//! guard hook on every path a request can take.

use std::sync::Arc;

use async_trait::async_trait;
use auth_runtime::{
    ApiError, AuthenticatedUser, BuildError, Guard, RouterBuilder, Target, User, webmethod,
};
use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::support::{entries_of, json, send};

#[derive(Clone)]
struct Counter(Arc<std::sync::atomic::AtomicUsize>);

#[derive(Clone)]
struct Unregistered;

#[webmethod(
    route = "/things",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn list_things(State(counter): State<Counter>) -> Json {
    let n = counter.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    axum::Json(json!({"calls": n + 1}))
}

#[webmethod(
    route = "/things/{id}",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn get_thing(Path(id): Path<String>) -> Json {
    axum::Json(json!({"id": id}))
}

#[webmethod(route = "/things/{id}", method = "DELETE", level = "v1")]
async fn delete_thing(user: Option<AuthenticatedUser>, Path(id): Path<String>) -> Json {
    axum::Json(json!({"deleted": id, "by": user.map(|u| u.principal.clone())}))
}

#[webmethod(route = "/blobs/{key:path}", method = "PUT", level = "v1")]
async fn put_blob(Path(key): Path<String>) -> Json {
    axum::Json(json!({"key": key}))
}

#[webmethod(
    route = "/legacy/things",
    method = "GET",
    level = "v1",
    deprecated = true
)]
#[webmethod(route = "/things-alias", method = "GET", level = "v1")]
async fn alias() -> &'static str {
    "alias"
}

type Json = axum::Json<Value>;

mod needs_missing_state {
    use super::*;

    #[webmethod(route = "/missing", method = "GET")]
    async fn wants_unregistered(State(_): State<Unregistered>) -> &'static str {
        "never"
    }
}

/// Entries of this module, minus the one that needs a missing state.
fn entries() -> Vec<&'static auth_runtime::route::RouteEntry> {
    entries_of(module_path!())
        .into_iter()
        .filter(|e| !e.module_path.ends_with("needs_missing_state"))
        .collect()
}

fn counter() -> Counter {
    Counter(Arc::new(std::sync::atomic::AtomicUsize::new(0)))
}

fn router() -> axum::Router {
    RouterBuilder::new()
        .without_security()
        .entries(entries())
        .state(counter())
        .build()
        .unwrap()
        .router
}

/// Lets a request through only with `x-test-user: <name>` (then the user is
/// set) and records every target it saw.
struct HeaderGuard {
    seen: Arc<std::sync::Mutex<Vec<String>>>,
}

#[async_trait]
impl Guard for HeaderGuard {
    async fn check(&self, target: Target, request: &mut Request) -> Result<(), Response> {
        let label = match target {
            Target::Route(e) => format!("{} {}", e.method, e.path),
            _ => "unmatched".to_owned(),
        };
        self.seen.lock().unwrap().push(label);
        if !target.requires_authentication() {
            return Ok(());
        }
        match request
            .headers()
            .get("x-test-user")
            .and_then(|v| v.to_str().ok())
        {
            Some(name) => {
                let user = User::new(name, Default::default());
                request.extensions_mut().insert(Arc::new(user));
                Ok(())
            }
            None => Err(ApiError::unauthorized("who are you?").into_response()),
        }
    }
}

fn guarded() -> (axum::Router, Arc<std::sync::Mutex<Vec<String>>>) {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let router = RouterBuilder::new()
        .without_security()
        .entries(entries())
        .state(counter())
        .guard(HeaderGuard { seen: seen.clone() })
        .build()
        .unwrap()
        .router;
    (router, seen)
}

#[tokio::test]
async fn serves_handlers_with_state_and_params() {
    let router = router();
    let r = send(&router, "GET", "/v1/things", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(json(r).await, json!({"calls": 1}));
    let r = send(&router, "GET", "/v1/things", &[]).await;
    assert_eq!(json(r).await, json!({"calls": 2}), "the state is shared");

    let r = send(&router, "GET", "/v1/things/t%201", &[]).await;
    assert_eq!(json(r).await, json!({"id": "t 1"}));
    let r = send(&router, "PUT", "/v1/blobs/a/b/c", &[]).await;
    assert_eq!(json(r).await, json!({"key": "a/b/c"}));
    for path in ["/v1/legacy/things", "/v1/things-alias"] {
        let r = send(&router, "GET", path, &[]).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn unknown_path_is_json_404_and_wrong_method_json_405() {
    let router = router();
    let r = send(&router, "GET", "/v1/nothing", &[]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(r).await, json!({"error": {"message": "Not Found"}}));

    let r = send(&router, "POST", "/v1/things", &[]).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET,HEAD");
    assert_eq!(
        json(r).await,
        json!({"error": {"message": "Method Not Allowed"}})
    );

    let r = send(&router, "OPTIONS", "/v1/things/1", &[]).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn head_is_served_by_get() {
    let r = send(&router(), "HEAD", "/v1/things/1", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn guards_see_exactly_the_serving_route() {
    let (router, seen) = guarded();
    // Public GET and protected DELETE share a path and keep their own requirements.
    let r = send(&router, "GET", "/v1/things/1", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = send(&router, "DELETE", "/v1/things/1", &[]).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = send(
        &router,
        "DELETE",
        "/v1/things/1",
        &[("x-test-user", "alice")],
    )
    .await;
    assert_eq!(json(r).await, json!({"deleted": "1", "by": "alice"}));
    let r = send(&router, "HEAD", "/v1/things/1", &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "GET /v1/things/{id}",
            "DELETE /v1/things/{id}",
            "DELETE /v1/things/{id}",
            "GET /v1/things/{id}"
        ]
    );
}

#[tokio::test]
async fn unmatched_requests_go_through_the_guards_first() {
    let (router, seen) = guarded();
    // Without credentials, an unknown path and a wrong method answer the same 401
    // and no `Allow` header: nothing tells which paths exist.
    for (method, path) in [
        ("GET", "/v1/nothing"),
        ("POST", "/v1/things"),
        ("OPTIONS", "/v1/things/1"),
        ("BREW", "/v1/things"),
    ] {
        let r = send(&router, method, path, &[]).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
        assert!(
            r.headers().get("allow").is_none(),
            "{method} {path}: {:?}",
            r.headers()
        );
        assert_eq!(json(r).await, json!({"error": {"message": "who are you?"}}));
    }
    assert!(seen.lock().unwrap().iter().all(|s| s == "unmatched"));

    // With credentials they learn the real answer.
    let r = send(&router, "GET", "/v1/nothing", &[("x-test-user", "bob")]).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = send(&router, "POST", "/v1/things", &[("x-test-user", "bob")]).await;
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.headers()["allow"], "GET,HEAD");
}

#[tokio::test]
async fn missing_state_fails_the_build_naming_the_handler() {
    let err = RouterBuilder::new()
        .without_security()
        .entries(entries_of(module_path!()))
        .build()
        .err()
        .expect("states are missing");
    let text = err.to_string();
    assert_eq!(err.len(), 2, "every missing state is reported: {text}");
    assert!(
        err.iter()
            .all(|e| matches!(e, BuildError::MissingState { .. }))
    );
    assert!(text.contains("wants_unregistered"), "{text}");
    assert!(text.contains("list_things"), "{text}");
    assert!(text.contains("Unregistered"), "{text}");
    assert!(text.contains("tests/integration/router.rs:"), "{text}");
}

#[tokio::test]
async fn serves_over_tcp() {
    let router = router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let body: Value = reqwest::get(format!("http://{addr}/v1/things/x"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!({"id": "x"}));
}
