//! Property: whatever the path, method and headers, a request without valid
//! credentials never reaches a protected handler, never panics the server, and
//! never learns more than 401 (or the answer of the one public route it hit).

use std::sync::atomic::{AtomicUsize, Ordering};

use auth_runtime::{AuthenticatedUser, webmethod};
use axum::body::Body;
use axum::http::Request;
use proptest::prelude::*;
use tower::ServiceExt;

use crate::support::entries_of;

static PROTECTED: AtomicUsize = AtomicUsize::new(0);

#[webmethod(
    route = "/bp/health",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn bp_health() -> &'static str {
    "ok"
}

#[webmethod(route = "/bp/models", method = "GET", level = "v1")]
#[webmethod(
    route = "/bp/models",
    method = "POST",
    level = "v1",
    required_scope = "w"
)]
async fn bp_models(_user: AuthenticatedUser) -> &'static str {
    PROTECTED.fetch_add(1, Ordering::SeqCst);
    "models"
}

#[webmethod(route = "/bp/models/{id}", method = "GET", level = "v1")]
async fn bp_model(_user: AuthenticatedUser) -> &'static str {
    PROTECTED.fetch_add(1, Ordering::SeqCst);
    "model"
}

#[webmethod(route = "/bp/files/{path:path}", method = "GET", level = "v1")]
async fn bp_files(_user: AuthenticatedUser) -> &'static str {
    PROTECTED.fetch_add(1, Ordering::SeqCst);
    "file"
}

fn router() -> axum::Router {
    let yaml = "server:\n  auth:\n    provider_config:\n      type: api_keys\n      keys: [{key: the-only-key, principal: p}]\n";
    let config = auth_runtime::config::Config::parse(yaml, "test", &|_| None).unwrap();
    auth_runtime::RouterBuilder::new()
        .entries(entries_of(module_path!()))
        .security(auth_runtime::Security::from_config(&config).unwrap())
        .build()
        .unwrap()
        .router
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("v1".to_owned()),
        Just("V1".to_owned()),
        Just("bp".to_owned()),
        Just("models".to_owned()),
        Just("health".to_owned()),
        Just("files".to_owned()),
        Just("..".to_owned()),
        Just(".".to_owned()),
        Just(String::new()),
        Just("%2F".to_owned()),
        Just("%6Dodels".to_owned()),
        Just("%2e%2e".to_owned()),
        Just("health%00".to_owned()),
        "[a-z%;.]{1,6}",
    ]
}

fn authorization() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("Bearer wrong-key".to_owned())),
        Just(Some("Bearer".to_owned())),
        Just(Some("Basic the-only-key".to_owned())),
        Just(Some("Bearer the-only-key x".to_owned())),
        "[ -~]{0,20}".prop_map(Some),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_credentials_no_protected_handler(
        segments in proptest::collection::vec(segment(), 0..6),
        trailing in any::<bool>(),
        query in proptest::option::of("[a-z=&/]{0,10}"),
        method in prop_oneof![Just("GET"), Just("HEAD"), Just("POST"), Just("OPTIONS"), Just("DELETE"), Just("PUT"), Just("TRACE"), Just("BREW")],
        auth in authorization(),
    ) {
        let mut path = format!("/{}", segments.join("/"));
        if trailing {
            path.push('/');
        }
        if let Some(q) = query {
            path.push('?');
            path.push_str(&q);
        }
        let Ok(uri) = path.parse::<axum::http::Uri>() else { return Ok(()); };
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(auth) = &auth {
            request = request.header("authorization", auth.as_str());
        }
        let request = request.body(Body::empty()).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let before = PROTECTED.load(Ordering::SeqCst);
        let response = rt.block_on(router().oneshot(request)).unwrap();
        prop_assert_eq!(PROTECTED.load(Ordering::SeqCst), before, "{} {} reached a protected handler", method, path);
        let status = response.status().as_u16();
        let public = path.split('?').next() == Some("/v1/bp/health");
        if public && matches!(method, "GET" | "HEAD") {
            prop_assert_eq!(status, 200);
        } else {
            prop_assert_eq!(status, 401, "{} {}", method, path);
            prop_assert!(response.headers().get("allow").is_none());
            prop_assert!(response.headers().get("www-authenticate").is_some());
        }
    }
}
