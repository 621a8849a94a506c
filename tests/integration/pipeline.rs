//! The request path end to end (DESIGN.md "Request path through the stack"):
//! exact admission before the provider, `RateLimit-*` on every answer,
//! optional authentication on public routes, and `Access` failing closed.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use auth_runtime::authz::{Access, Action, Resource};
use auth_runtime::config::Config;
use auth_runtime::{ApiError, AuthenticatedUser, RouterBuilder, Security, webmethod};
use axum::Json;
use serde_json::{Value, json};

use crate::support::{RedisServer, entries_of, serve_with_peers};

#[webmethod(
    route = "/pipeline/open",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn open() -> &'static str {
    "open"
}

#[webmethod(
    route = "/pipeline/maybe",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn maybe(user: Option<AuthenticatedUser>) -> Json<Value> {
    Json(json!({"principal": user.as_ref().map(|u| u.principal.clone())}))
}

#[webmethod(
    route = "/pipeline/shelf",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn shelf(access: Access) -> Result<Json<Value>, ApiError> {
    let shared = Resource::new("book", "shared", None);
    let visible = access.filter(Action::Read, [shared]);
    access.check(Action::Read, &shared)?;
    Ok(Json(json!({"visible": visible.len()})))
}

#[webmethod(route = "/pipeline/private", method = "GET", level = "v1")]
async fn private(user: AuthenticatedUser) -> String {
    user.principal.clone()
}

#[webmethod(
    route = "/pipeline/write",
    method = "POST",
    level = "v1",
    required_scope = "write"
)]
async fn write(_user: AuthenticatedUser) -> &'static str {
    "written"
}

const KEYS: &str = "    provider_config:\n      type: api_keys\n      keys:\n        - {key: alice-key, principal: alice, attributes: {scopes: [read]}}\n";

fn config(yaml: &str) -> Config {
    Config::parse(yaml, "test", &|_| None).unwrap_or_else(|e| panic!("{e}\n{yaml}"))
}

async fn serve(config: &Config) -> String {
    let router = RouterBuilder::new()
        .entries(entries_of(module_path!()))
        .security(Security::from_config(config).unwrap())
        .build()
        .unwrap()
        .router;
    serve_with_peers(router).await
}

async fn get(base: &str, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// A custom-auth endpoint that answers every token with 401 after `delay`,
/// counting its calls.
async fn slow_rejecting_endpoint(delay: Duration) -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let app = axum::Router::new().route(
        "/auth",
        axum::routing::post(move || {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                (
                    axum::http::StatusCode::UNAUTHORIZED,
                    Json(json!({"message": "Invalid token"})),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/auth"), calls)
}

/// 100 concurrent bad tokens from one address, anonymous limit 20, a provider
/// that takes 1 s: at most 20 reach the provider, at least 80 get 429.
async fn admission_is_exact(kvstore: &str) {
    let (endpoint, calls) = slow_rejecting_endpoint(Duration::from_secs(1)).await;
    let cfg = config(&format!(
        "server:\n  auth:\n    provider_config: {{type: custom, endpoint: '{endpoint}', timeout: 10}}\n  quota:\n    kvstore: {kvstore}\n    anonymous_max_requests: 20\n"
    ));
    let base = serve(&cfg).await;
    let client = reqwest::Client::new();
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let request = client
                .get(format!("{base}/v1/pipeline/private"))
                .bearer_auth(format!("bad-token-{i}"))
                .send();
            tokio::spawn(request)
        })
        .collect();
    let (mut unauthorized, mut limited) = (0, 0);
    for task in tasks {
        match task.await.unwrap().unwrap().status().as_u16() {
            401 => unauthorized += 1,
            429 => limited += 1,
            other => panic!("unexpected {other}"),
        }
    }
    let calls = calls.load(Ordering::SeqCst);
    assert!(calls <= 20, "{calls} provider calls for a limit of 20");
    assert!(limited >= 80, "{limited} answers 429 ({unauthorized} 401)");
    assert_eq!(unauthorized + limited, 100);
}

#[tokio::test]
async fn admission_is_exact_memory() {
    admission_is_exact("{type: memory}").await;
}

#[tokio::test]
async fn admission_is_exact_sqlite() {
    let dir = std::env::temp_dir().join(format!("webmethod-admission-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    admission_is_exact(&format!(
        "{{type: sqlite, db_path: '{}'}}",
        dir.join("quota.db").display()
    ))
    .await;
}

#[tokio::test]
async fn admission_is_exact_redis() {
    let redis = RedisServer::start();
    admission_is_exact(&format!("{{type: redis, url: '{}'}}", redis.url())).await;
}

fn rate(r: &reqwest::Response) -> (String, String) {
    let h = |name: &str| {
        r.headers()
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing on {}", r.status()))
            .to_str()
            .unwrap()
            .to_owned()
    };
    let reset: u64 = h("ratelimit-reset").parse().unwrap();
    assert!((1..=86_400).contains(&reset), "{reset}");
    (h("ratelimit-limit"), h("ratelimit-remaining"))
}

#[tokio::test]
async fn ratelimit_headers_on_every_answer_for_the_charged_subject() {
    let cfg = config(&format!(
        "server:\n  auth:\n{KEYS}  quota:\n    anonymous_max_requests: 10\n    authenticated_max_requests: 5\n"
    ));
    let base = serve(&cfg).await;
    let pair = |l: &str, r: &str| (l.to_owned(), r.to_owned());

    // Anonymous: the address's limit.
    let r = get(&base, "/v1/pipeline/open", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(rate(&r), pair("10", "9"));
    let r = get(&base, "/v1/pipeline/private", None).await;
    assert_eq!(r.status(), 401);
    assert_eq!(rate(&r), pair("10", "8"));
    let r = get(&base, "/v1/pipeline/private", Some("wrong")).await;
    assert_eq!(r.status(), 401);
    assert_eq!(rate(&r), pair("10", "7"));

    // Authenticated: the principal's limit; the address is not charged.
    let r = get(&base, "/v1/pipeline/private", Some("alice-key")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(rate(&r), pair("5", "4"));
    let r = reqwest::Client::new()
        .post(format!("{base}/v1/pipeline/write"))
        .bearer_auth("alice-key")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "alice lacks the scope");
    assert_eq!(rate(&r), pair("5", "3"));
    let r = get(&base, "/v1/nothing", Some("alice-key")).await;
    assert_eq!(r.status(), 404);
    assert_eq!(rate(&r), pair("5", "2"));
    let r = get(&base, "/v1/pipeline/open", None).await;
    assert_eq!(
        rate(&r),
        pair("10", "6"),
        "authenticated calls gave the address its count back"
    );

    // Over the limit: 429 keeps Retry-After.
    for _ in 0..2 {
        assert_eq!(
            get(&base, "/v1/pipeline/private", Some("alice-key"))
                .await
                .status(),
            200
        );
    }
    let r = get(&base, "/v1/pipeline/private", Some("alice-key")).await;
    assert_eq!(r.status(), 429);
    assert_eq!(rate(&r), pair("5", "0"));
    assert!(r.headers().get("retry-after").is_some());
}

#[tokio::test]
async fn no_ratelimit_headers_without_quota() {
    let base = serve(&config(&format!("server:\n  auth:\n{KEYS}"))).await;
    let r = get(&base, "/v1/pipeline/private", Some("alice-key")).await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get("ratelimit-limit").is_none());
}

async fn principal(base: &str, token: Option<&str>, raw_header: Option<&str>) -> Value {
    let mut request = reqwest::Client::new().get(format!("{base}/v1/pipeline/maybe"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(h) = raw_header {
        request = request.header("authorization", h);
    }
    let r = request.send().await.unwrap();
    assert_eq!(r.status(), 200, "a public route never answers 401 or 503");
    r.json::<Value>().await.unwrap()["principal"].clone()
}

#[tokio::test]
async fn optional_authentication_on_public_routes() {
    let base = serve(&config(&format!("server:\n  auth:\n{KEYS}"))).await;
    assert_eq!(principal(&base, Some("alice-key"), None).await, "alice");
    assert_eq!(principal(&base, None, None).await, Value::Null);
    assert_eq!(principal(&base, Some("wrong"), None).await, Value::Null);
    assert_eq!(principal(&base, None, Some("Basic abc")).await, Value::Null);

    // Authentication off: never a user.
    let base = serve(&config("server: {}\n")).await;
    assert_eq!(principal(&base, Some("alice-key"), None).await, Value::Null);
}

#[tokio::test]
async fn optional_authentication_with_the_provider_down_or_slow_is_anonymous() {
    let dead = crate::authn::dead_endpoint();
    let base = serve(&config(&format!(
        "server:\n  auth:\n    provider_config: {{type: custom, endpoint: '{dead}', timeout: 0.5}}\n"
    )))
    .await;
    assert_eq!(principal(&base, Some("any-token"), None).await, Value::Null);
    // The protected route answers 503 for the same token.
    assert_eq!(
        get(&base, "/v1/pipeline/private", Some("any-token"))
            .await
            .status(),
        503
    );

    let (endpoint, calls) = slow_rejecting_endpoint(Duration::from_secs(3)).await;
    let base = serve(&config(&format!(
        "server:\n  auth:\n    provider_config: {{type: custom, endpoint: '{endpoint}', timeout: 0.5}}\n"
    )))
    .await;
    assert_eq!(principal(&base, Some("any-token"), None).await, Value::Null);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // A public route whose handler does not take the user never asks the provider.
    let r = get(&base, "/v1/pipeline/open", Some("any-token")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn access_fails_closed_for_anonymous_callers_when_authentication_is_on() {
    let base = serve(&config(&format!("server:\n  auth:\n{KEYS}"))).await;
    let r = get(&base, "/v1/pipeline/shelf", None).await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": {"detail": "Insufficient permissions"}})
    );
    // A signed-in caller reads the unowned book under the default policy.
    let r = get(&base, "/v1/pipeline/shelf", Some("alice-key")).await;
    assert_eq!(
        r.status(),
        403,
        "public route without Option<AuthenticatedUser>: anonymous"
    );

    // Authentication off: everything is allowed, as in llama-stack.
    let base = serve(&config("server: {}\n")).await;
    let r = get(&base, "/v1/pipeline/shelf", None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"visible": 1}));
}

#[tokio::test]
async fn a_router_needs_security_or_says_it_goes_without() {
    let err = RouterBuilder::new()
        .entries(entries_of(module_path!()))
        .build()
        .err()
        .expect("no security: refused");
    assert!(err.to_string().contains("without_security"), "{err}");
    let router = RouterBuilder::new()
        .entries(entries_of(module_path!()))
        .without_security()
        .build()
        .unwrap()
        .router;
    let base = serve_with_peers(router).await;
    assert_eq!(get(&base, "/v1/pipeline/open", None).await.status(), 200);
}

/// A quota store of the app's own, put in with `Security::with_quota`: it
/// counts, and when it fails the request fails closed (500 "Quota service
/// error", DESIGN.md "Failure behaviour").
#[tokio::test]
async fn a_quota_store_of_the_apps_own_counts_and_fails_closed() {
    use auth_runtime::Settings;
    use auth_runtime::quota::{Quota, QuotaStore, StoreError, Window};

    struct Flaky {
        hits: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl QuotaStore for Flaky {
        async fn hit(&self, _key: &str, _window: Window) -> Result<u64, StoreError> {
            match self.hits.fetch_add(1, Ordering::SeqCst) {
                n if n < 2 => Ok(n as u64 + 1),
                _ => Err(StoreError::new("the store is down")),
            }
        }
        async fn release(&self, _key: &str, _window: Window) -> Result<(), StoreError> {
            Ok(())
        }
        fn name(&self) -> &'static str {
            "flaky"
        }
    }

    let yaml = "server:\n  quota:\n    kvstore: {type: memory}\n    anonymous_max_requests: 5\n    authenticated_max_requests: 5\n    period: day\n";
    let settings = Settings::parse(yaml, "test", &|_| None).unwrap();
    let store = Arc::new(Flaky {
        hits: AtomicUsize::new(0),
    });
    let quota = Quota::with_store(settings.quota().unwrap(), store.clone());
    let router = RouterBuilder::new()
        .entries(entries_of(module_path!()))
        .security(Security::new(&settings).unwrap().with_quota(quota))
        .build()
        .unwrap()
        .router;
    let base = serve_with_peers(router).await;
    let client = reqwest::Client::new();
    let status = || async {
        client
            .get(format!("{base}/v1/pipeline/open"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(status().await, 200);
    assert_eq!(status().await, 200);
    assert_eq!(
        status().await,
        500,
        "a failing store never lets a request through"
    );
    assert!(store.hits.load(Ordering::SeqCst) >= 3);
}
