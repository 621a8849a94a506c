//! One plan per route (issue 22 item 3): the router and the OpenAPI document
//! read the same decision. Each input of the plan flipped for one route moves
//! the answer a real request gets and the responses its operation documents
//! together.

use auth_runtime::Settings;
use auth_runtime::config::Config;
use auth_runtime::openapi::{Info, OpenApi};
use auth_runtime::route::RouteTable;
use auth_runtime::{RouterBuilder, Security, webmethod};
use serde_json::Value;

use crate::support::{entries_of, serve_with_peers};

#[webmethod(route = "/plan/report", method = "GET", level = "v1")]
async fn report() -> &'static str {
    "report"
}

const KEYS: &str = "  auth:\n    provider_config:\n      type: api_keys\n      keys:\n        - {key: alice-key, principal: alice}\n";
const FORBID: &str =
    "    route_policy:\n      - forbid: {paths: /v1/plan/report}\n      - permit: {paths: '*'}\n";
const QUOTA: &str = "  quota:\n    kvstore: {type: memory}\n    anonymous_max_requests: 100\n    authenticated_max_requests: 100\n    period: day\n";

/// The served answer to `key` (or no credentials) and the documented
/// statuses of the route, under `yaml`.
async fn both(yaml: &str, key: Option<&str>) -> (u16, Option<String>, Vec<String>) {
    let entries = entries_of(module_path!());
    let config = Config::parse(yaml, "test", &|_| None).unwrap();
    let settings = Settings::from_config(&config).unwrap();
    // Served as the router does, over a real socket (the quota reads the peer).
    let router = RouterBuilder::new()
        .entries(entries.clone())
        .security(Security::new(&settings).unwrap())
        .build()
        .unwrap()
        .router;
    let base = serve_with_peers(router).await;
    let mut request = reqwest::Client::new().get(format!("{base}/v1/plan/report"));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let answer = request.send().await.unwrap();
    let limit = answer
        .headers()
        .get("ratelimit-limit")
        .map(|v| v.to_str().unwrap().to_owned());
    // Documented from the same settings, as `server openapi` does.
    let table = RouteTable::new(entries).unwrap();
    let doc: Value = serde_json::from_str(
        &OpenApi::generate(&table, &settings, false, &Info::new("t", "1")).to_json(),
    )
    .unwrap();
    let documented = doc["paths"]["/v1/plan/report"]["get"]["responses"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    (answer.status().as_u16(), limit, documented)
}

fn has(documented: &[String], status: &str) -> bool {
    documented.iter().any(|s| s == status)
}

#[tokio::test]
async fn a_changed_plan_moves_the_router_and_the_document_together() {
    // Authentication off: served to anyone, nothing of the pipeline documented.
    let (status, limit, documented) = both("server: {}\n", None).await;
    assert_eq!((status, limit), (200, None));
    assert_eq!(documented, ["200"]);

    // Authentication on: the same route now answers 401, and documents it.
    let auth = format!("server:\n{KEYS}");
    let (status, _, documented) = both(&auth, None).await;
    assert_eq!(status, 401);
    assert!(has(&documented, "401") && has(&documented, "503"));
    assert!(!has(&documented, "403"), "{documented:?}");
    let (status, _, _) = both(&auth, Some("alice-key")).await;
    assert_eq!(status, 200);

    // A route policy that denies the route: 403 served and documented.
    let forbid = format!("server:\n{KEYS}{FORBID}");
    let (status, _, documented) = both(&forbid, Some("alice-key")).await;
    assert_eq!(status, 403);
    assert!(has(&documented, "403"), "{documented:?}");

    // A quota: the route is charged (RateLimit-* on the answer) and 429 is documented.
    let quota = format!("server:\n{KEYS}{QUOTA}");
    let (status, limit, documented) = both(&quota, Some("alice-key")).await;
    assert_eq!((status, limit.as_deref()), (200, Some("100")));
    assert!(
        has(&documented, "429") && !has(&documented, "403"),
        "{documented:?}"
    );
}
