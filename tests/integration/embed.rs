//! `examples/embed.rs` as a user runs it: an existing axum app with its own
//! routes, layer and 404, and webmethod's routes merged in; and what
//! `RouterBuilder` refuses to merge.

use auth_runtime::{RouterBuilder, Security};
use axum::Router;
use axum::routing::get;

use crate::demo_server::Server;

#[tokio::test]
async fn the_apps_own_routes_fail_closed_and_its_404_comes_after_authentication() {
    let app = Server::start_example("embed", &[]);
    let client = reqwest::Client::new();
    let get = |path: &str, key: Option<&str>| {
        let mut request = client.get(app.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send()
    };
    // Public on purpose (merge_public).
    assert_eq!(get("/healthz", None).await.unwrap().status(), 200);
    // The app's unannotated route, the annotated one and an unknown path:
    // all 401 without credentials, with the app's layer on the answer.
    for path in ["/dashboard", "/v1/notes", "/nowhere"] {
        let answer = get(path, None).await.unwrap();
        assert_eq!(answer.status(), 401, "{path}");
        assert_eq!(answer.headers()["x-frame-options"], "DENY", "{path}");
        assert!(answer.headers().contains_key("www-authenticate"), "{path}");
    }
    let dashboard = get("/dashboard", Some("embed-key")).await.unwrap();
    assert_eq!(dashboard.status(), 200);
    assert!(dashboard.text().await.unwrap().contains("Dashboard"));
    let notes = get("/v1/notes", Some("embed-key")).await.unwrap();
    assert_eq!(notes.text().await.unwrap(), "notes of ann\n");
    // The app's own 404, for a signed-in caller only.
    let missing = get("/nowhere", Some("embed-key")).await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["x-frame-options"], "DENY");
    assert!(missing.text().await.unwrap().contains("Nothing here"));
    assert_eq!(
        get("/dashboard", Some("wrong")).await.unwrap().status(),
        401
    );
}

#[auth_runtime::webmethod(route = "/embedded/annotated", method = "GET", level = "v1")]
async fn annotated() -> &'static str {
    "annotated"
}

const CONFIG: &str = "server:\n  auth:\n    provider_config:\n      type: api_keys\n      keys:\n        - {key: k1, principal: p1, attributes: {roles: [staff]}}\n        - {key: k2, principal: p2}\n    route_policy:\n      - permit: {paths: \"*\"}\n        when: user with staff in roles\n";

fn builder() -> RouterBuilder {
    let config = auth_runtime::config::Config::parse(CONFIG, "test", &|_| None).unwrap();
    RouterBuilder::new()
        .entries(crate::support::entries_of(module_path!()))
        .security(Security::from_config(&config).unwrap())
}

#[tokio::test]
async fn the_route_policy_covers_the_apps_own_routes() {
    let router = builder()
        .merge(Router::new().route("/own", get(|| async { "own" })))
        .build()
        .unwrap()
        .router;
    let status = |key: Option<&'static str>| {
        let router = router.clone();
        async move {
            let auth = key.map(|k| format!("Bearer {k}"));
            let headers: Vec<(&str, &str)> =
                auth.iter().map(|a| ("authorization", a.as_str())).collect();
            crate::support::send(&router, "GET", "/own", &headers)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(status(None).await, 401);
    assert_eq!(status(Some("k2")).await, 403, "the route policy denies p2");
    assert_eq!(status(Some("k1")).await, 200);
}

#[test]
fn a_router_with_its_own_fallback_or_a_path_served_twice_is_refused() {
    let with_fallback = Router::new()
        .route("/own", get(|| async { "own" }))
        .fallback(|| async { "mine" });
    let same_path = Router::new().route("/v1/embedded/annotated", get(|| async { "again" }));
    for app in [with_fallback, same_path] {
        let text = builder()
            .merge(app)
            .build()
            .err()
            .expect("refused")
            .to_string();
        assert!(text.contains("cannot be merged"), "{text}");
        assert!(text.contains("RouterBuilder::fallback"), "{text}");
    }
}
