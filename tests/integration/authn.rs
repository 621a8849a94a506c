//! Authentication end to end: a real server on 127.0.0.1 whose `custom`
//! provider calls a real auth endpoint on another port.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_runtime::config::Config;
use auth_runtime::{AuthenticatedUser, RouterBuilder, Security, webmethod};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::entries_of;

/// Counts calls that reached a protected handler without an `Authorization`
/// header. Other tests of this binary run at the same time and reach these
/// handlers with credentials, so only credential-less calls are counted.
static PROTECTED_CALLS: AtomicUsize = AtomicUsize::new(0);

fn count_if_anonymous(headers: &axum::http::HeaderMap) {
    if !headers.contains_key(axum::http::header::AUTHORIZATION) {
        PROTECTED_CALLS.fetch_add(1, Ordering::SeqCst);
    }
}

#[webmethod(
    route = "/health",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn health() -> Json<Value> {
    Json(json!({"status": "OK"}))
}

#[webmethod(route = "/models", method = "GET", level = "v1")]
async fn list_models(user: AuthenticatedUser, headers: axum::http::HeaderMap) -> Json<Value> {
    count_if_anonymous(&headers);
    Json(json!({"principal": user.principal, "attributes": user.attributes}))
}

#[webmethod(route = "/models/{model_id}", method = "GET", level = "v1")]
async fn get_model(_user: AuthenticatedUser, headers: axum::http::HeaderMap) -> &'static str {
    count_if_anonymous(&headers);
    "model"
}

#[webmethod(
    route = "/models",
    method = "POST",
    level = "v1",
    required_scope = "models.write"
)]
async fn create_model(_user: AuthenticatedUser, headers: axum::http::HeaderMap) -> &'static str {
    count_if_anonymous(&headers);
    "created"
}

/// The stand-in identity provider: it answers by token and records requests.
#[derive(Clone, Default)]
pub struct AuthServer {
    pub requests: Arc<Mutex<Vec<Value>>>,
}

async fn auth_endpoint(
    State(server): State<AuthServer>,
    Json(body): Json<Value>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    server.requests.lock().unwrap().push(body.clone());
    let token = body["api_key"].as_str().unwrap_or_default().to_owned();
    match token.as_str() {
        "good-token" => Json(json!({
            "principal": "alice",
            "attributes": {"roles": ["user"], "scopes": ["models.read"]},
            "message": "welcome"
        }))
        .into_response(),
        "admin-token" => {
            Json(json!({"principal": "root", "attributes": {"scopes": ["models.write"]}}))
                .into_response()
        }
        "no-attributes" => Json(json!({"principal": "bob"})).into_response(),
        // 40 KB and 80 KB answers, either side of the 64 KiB the provider reads.
        "large-answer" => Json(json!({
            "principal": "carol",
            "attributes": {"scopes": ["models.read"], "notes": ["x".repeat(40_000)]}
        }))
        .into_response(),
        "huge-answer" => Json(json!({
            "principal": "mallory",
            "attributes": {"scopes": ["models.read"], "notes": ["x".repeat(80_000)]}
        }))
        .into_response(),
        "forged-principal" => {
            Json(json!({"principal": "eve\nFORGED-LINE principal=admin \u{1b}[2Jred"}))
                .into_response()
        }
        "forged-message" => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "nope\nFORGED-LINE outcome=authenticated \u{1b}[2J"})),
        )
            .into_response(),
        "revoked-token" => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Token revoked"})),
        )
            .into_response(),
        t if t.starts_with("echo-") => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": format!("unknown token {t}")})),
        )
            .into_response(),
        "forbidden" => (StatusCode::FORBIDDEN, "nope").into_response(),
        "malformed" => (StatusCode::OK, "{principal: not json").into_response(),
        "server-error" => (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response(),
        "server-error-message" => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"message": "db pool exhausted at 10.0.3.7"})),
        )
            .into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            Json(json!({"principal": "late"})).into_response()
        }
        _ => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Invalid token"})),
        )
            .into_response(),
    }
}

/// Starts the stand-in on a free port; returns its endpoint URL.
pub async fn start_auth_server() -> (String, AuthServer) {
    let server = AuthServer::default();
    let app = axum::Router::new()
        .route("/validate", axum::routing::post(auth_endpoint))
        .with_state(server.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/validate"), server)
}

/// A URL on which nothing listens.
pub fn dead_endpoint() -> String {
    format!("http://{}/validate", crate::support::refused_address())
}

/// Serves this module's routes with the security stack of `yaml`.
async fn start_server(yaml: &str) -> String {
    crate::support::serve_module(module_path!(), yaml).await
}

async fn custom_server(endpoint: &str) -> String {
    start_server(&format!(
        "server:\n  auth:\n    provider_config:\n      type: custom\n      endpoint: {endpoint}\n      timeout: 0.5\n"
    ))
    .await
}

/// Sends raw HTTP/1.1 so that odd paths and headers reach the server as written.
async fn raw(base: &str, request_line: &str, headers: &[&str]) -> (u16, String) {
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut text = format!("{request_line} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for h in headers {
        text.push_str(h);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    (status, response)
}

fn body_of(response: &str) -> Value {
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {response}"))
}

async fn get(
    base: &str,
    path: &str,
    auth: Option<&str>,
) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body, headers)
}

fn message(body: &Value) -> &str {
    body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message in {body}"))
}

#[tokio::test]
async fn header_problems_are_401_with_a_challenge() {
    let (endpoint, _) = start_auth_server().await;
    let base = custom_server(&endpoint).await;

    let (status, body, headers) = get(&base, "/v1/models", None).await;
    assert_eq!(status, 401);
    let host = endpoint
        .trim_start_matches("http://")
        .trim_end_matches("/validate");
    assert_eq!(
        message(&body),
        format!(
            "Authentication required. Please provide your API key as a Bearer token (validated by {host})"
        )
    );
    assert_eq!(headers["www-authenticate"], "Bearer realm=\"webmethod\"");

    for auth in [
        "Basic Zm9vOmJhcg==",
        "Token good-token",
        "Bearer",
        "Bearergood-token",
        "Bearer a b",
    ] {
        let (status, body, headers) = get(&base, "/v1/models", Some(auth)).await;
        assert_eq!(
            (status, message(&body)),
            (401, "Invalid Authorization header format"),
            "{auth}"
        );
        assert!(
            headers["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("error=\"invalid_request\"")
        );
    }

    // The scheme is case-insensitive.
    let (status, body, _) = get(&base, "/v1/models", Some("bearer good-token")).await;
    assert_eq!((status, body["principal"].as_str()), (200, Some("alice")));
    let (status, _, _) = get(&base, "/v1/models", Some("BEARER good-token")).await;
    assert_eq!(status, 200);

    // Two Authorization headers, even two good ones, are refused.
    let (status, response) = raw(
        &base,
        "GET /v1/models",
        &[
            "authorization: Bearer good-token",
            "authorization: Bearer good-token",
        ],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        message(&body_of(&response)),
        "Invalid Authorization header format"
    );

    // An empty token, and one with bytes outside printable ASCII.
    for header in [
        "authorization: Bearer ",
        "authorization: Bearer  \t",
        "authorization: Bearer t\u{e9}st",
    ] {
        let (status, response) = raw(&base, "GET /v1/models", &[header]).await;
        assert_eq!(status, 401, "{header:?}: {response}");
    }
}

#[tokio::test]
async fn provider_outcomes_map_to_statuses() {
    let (endpoint, _) = start_auth_server().await;
    let base = custom_server(&endpoint).await;
    let cases = [
        ("revoked-token", 401, "Token revoked"),
        ("whatever", 401, "Invalid token"),
        ("forbidden", 401, "Authentication failed: 403"),
        ("server-error", 401, "Authentication failed: 500"),
        // A 5xx's own words stay out of the answer.
        ("server-error-message", 401, "Authentication failed: 503"),
        ("malformed", 401, "Invalid authentication response format"),
        ("slow", 503, "Authentication service unavailable"),
        // Past the 64 KiB read from the endpoint: a provider fault, not a user.
        ("huge-answer", 401, "Authentication service error"),
    ];
    for (token, expected_status, expected_message) in cases {
        let (status, body, headers) =
            get(&base, "/v1/models", Some(&format!("Bearer {token}"))).await;
        assert_eq!(
            (status, message(&body)),
            (expected_status, expected_message),
            "{token}"
        );
        if status == 401 {
            let challenge = headers["www-authenticate"].to_str().unwrap();
            assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
        }
    }
    let (status, body, _) = get(&base, "/v1/models", Some("Bearer large-answer")).await;
    assert_eq!(
        (status, &body["principal"]),
        (200, &json!("carol")),
        "{body}"
    );
}

#[tokio::test]
async fn unreachable_provider_is_503() {
    let base = custom_server(&dead_endpoint()).await;
    let (status, body, _) = get(&base, "/v1/models", Some("Bearer good-token")).await;
    assert_eq!(
        (status, message(&body)),
        (503, "Authentication service unavailable")
    );
}

#[tokio::test]
async fn the_user_reaches_the_handler_and_scopes_apply() {
    let (endpoint, _) = start_auth_server().await;
    let base = custom_server(&endpoint).await;
    let (status, body, _) = get(&base, "/v1/models", Some("Bearer good-token")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"principal": "alice", "attributes": {"roles": ["user"], "scopes": ["models.read"]}})
    );
    let (_, body, _) = get(&base, "/v1/models", Some("Bearer no-attributes")).await;
    assert_eq!(body, json!({"principal": "bob", "attributes": {}}));

    let post = |token: &'static str| {
        reqwest::Client::new()
            .post(format!("{base}/v1/models"))
            .bearer_auth(token)
            .send()
    };
    let r = post("admin-token").await.unwrap();
    assert_eq!(r.status(), 200);
    let r = post("good-token").await.unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": {"detail": "Access denied: user does not have required scope: models.write"}})
    );

    // Public route: no header needed. Unknown path: 401 without a token, 404 with one.
    assert_eq!(get(&base, "/v1/health", None).await.0, 200);
    let (status, _, headers) = get(&base, "/v1/unknown", None).await;
    assert_eq!(status, 401);
    assert!(headers.get("allow").is_none());
    assert_eq!(
        get(&base, "/v1/unknown", Some("Bearer good-token")).await.0,
        404
    );
}

#[tokio::test]
async fn the_provider_gets_path_headers_and_params_but_not_the_authorization() {
    let (endpoint, server) = start_auth_server().await;
    let base = custom_server(&endpoint).await;
    let (status, _) = raw(
        &base,
        "GET /v1/models/m%201?limit=10&tag=a&tag=b&empty=",
        &[
            "authorization: Bearer good-token",
            "x-request-id: r-42",
            "user-agent: tester",
        ],
    )
    .await;
    assert_eq!(status, 200);
    let sent = server.requests.lock().unwrap().last().cloned().unwrap();
    assert_eq!(sent["api_key"], "good-token");
    let request = &sent["request"];
    assert_eq!(request["path"], "/v1/models/m 1");
    assert_eq!(
        request["params"],
        json!({"limit": ["10"], "tag": ["a", "b"]})
    );
    assert_eq!(request["headers"]["x-request-id"], "r-42");
    assert_eq!(request["headers"]["user-agent"], "tester");
    assert!(
        request["headers"].get("authorization").is_none(),
        "{request}"
    );
}

#[tokio::test]
async fn provider_messages_never_echo_the_token() {
    let (endpoint, _) = start_auth_server().await;
    let base = custom_server(&endpoint).await;
    let (status, body, headers) = get(&base, "/v1/models", Some("Bearer echo-SECRET-123")).await;
    assert_eq!(status, 401);
    assert_eq!(message(&body), "unknown token [redacted]");
    assert!(
        !headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("SECRET")
    );
}

#[tokio::test]
async fn nothing_reaches_a_protected_handler_without_credentials() {
    let (endpoint, _) = start_auth_server().await;
    let base = custom_server(&endpoint).await;
    let before = PROTECTED_CALLS.load(Ordering::SeqCst);
    let attempts = [
        "GET /v1/models",
        "GET /v1/models/health",
        "GET //v1/models",
        "GET /v1/models/",
        "GET /v1/health/../models",
        "GET /v1/./models",
        "GET /v1/%6Dodels",
        "GET /V1/MODELS",
        "GET /v1/models%2F",
        "GET /v1/models?x=/v1/health",
        "GET /v1/health%2F..%2Fmodels",
        "HEAD /v1/models",
        "OPTIONS /v1/models",
        "POST /v1/models",
        "DELETE /v1/models",
        "BREW /v1/models",
        "GET http://evil/v1/models",
    ];
    for attempt in attempts {
        let (status, response) = raw(&base, attempt, &[]).await;
        assert!(matches!(status, 400 | 401), "{attempt}: {response}");
        assert!(
            !response.to_ascii_lowercase().contains("\r\nallow:"),
            "{attempt} leaks Allow: {response}"
        );
    }
    // Public route still public, and the protected routes were never called.
    assert_eq!(raw(&base, "GET /v1/health", &[]).await.0, 200);
    assert_eq!(PROTECTED_CALLS.load(Ordering::SeqCst), before);
}

#[tokio::test]
async fn upstream_header_provider() {
    let base = start_server(
        "server:\n  auth:\n    provider_config:\n      type: upstream_header\n      principal_header: x-auth-user\n      attributes_header: x-auth-attributes\n",
    )
    .await;
    let (status, response) = raw(&base, "GET /v1/models", &[]).await;
    assert_eq!(status, 401);
    assert_eq!(
        message(&body_of(&response)),
        "Missing required authentication header: x-auth-user"
    );
    let (status, response) = raw(
        &base,
        "GET /v1/models",
        &[
            "x-auth-user: carol",
            r#"x-auth-attributes: {"roles": ["admin"], "teams": "ml"}"#,
        ],
    )
    .await;
    assert_eq!(status, 200, "{response}");
    assert_eq!(
        body_of(&response),
        json!({"principal": "carol", "attributes": {"roles": ["admin"], "teams": ["ml"]}})
    );
    let (status, response) = raw(
        &base,
        "GET /v1/models",
        &["x-auth-user: carol", "x-auth-attributes: {oops"],
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        message(&body_of(&response)),
        "Failed to parse authentication attributes header: invalid JSON"
    );
    // Two copies of either header: one may be the client's, which a gateway
    // appended to instead of stripping. Neither is believed.
    for headers in [
        [
            "x-auth-user: carol",
            r#"x-auth-attributes: {"roles": ["user"]}"#,
            r#"x-auth-attributes: {"roles": ["admin"]}"#,
        ],
        [
            "x-auth-user: mallory",
            "x-auth-user: carol",
            r#"x-auth-attributes: {"roles": ["user"]}"#,
        ],
    ] {
        let (status, response) = raw(&base, "GET /v1/models", &headers).await;
        assert_eq!(status, 401, "{headers:?}: {response}");
    }
}

#[tokio::test]
async fn a_custom_endpoint_failing_is_never_cached() {
    let (endpoint, server) = start_auth_server().await;
    let base = start_server(&format!(
        "server:
  auth:
    cache: {{enabled: true, failure_ttl: 60}}
    provider_config:
      type: custom
      endpoint: {endpoint}
"
    ))
    .await;
    for _ in 0..2 {
        let (status, body, _) = get(&base, "/v1/models", Some("Bearer server-error")).await;
        assert_eq!(
            (status, message(&body)),
            (401, "Authentication failed: 500")
        );
    }
    assert_eq!(
        server.requests.lock().unwrap().len(),
        2,
        "asked again each time"
    );
    // A rejection is cached.
    for _ in 0..2 {
        assert_eq!(
            get(&base, "/v1/models", Some("Bearer revoked-token"))
                .await
                .0,
            401
        );
    }
    assert_eq!(server.requests.lock().unwrap().len(), 3);
}

#[tokio::test]
async fn api_keys_provider_with_hashed_and_clear_keys() {
    // sha256("hashed-key")
    let digest = "0c0e1cf0f9cd3c1e0b1b6ac8c2d4cf0b5ee0e0c0e0b0e5a7df19e0b4fe8a3a4a";
    let real_digest = {
        use std::fmt::Write;
        let d = <sha2::Sha256 as sha2::Digest>::digest(b"hashed-key");
        d.iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    };
    assert_ne!(digest, real_digest);
    let base = start_server(&format!(
        "server:\n  auth:\n    provider_config:\n      type: api_keys\n      keys:\n        - key: clear-key\n          principal: a\n        - key_sha256: {real_digest}\n          principal: b\n          attributes: {{scopes: [models.write]}}\n"
    ))
    .await;
    assert_eq!(
        get(&base, "/v1/models", Some("Bearer clear-key")).await.1["principal"],
        "a"
    );
    assert_eq!(
        get(&base, "/v1/models", Some("Bearer hashed-key")).await.1["principal"],
        "b"
    );
    let (status, body, _) = get(&base, "/v1/models", Some(&format!("Bearer {real_digest}"))).await;
    assert_eq!(
        (status, message(&body)),
        (401, "Invalid API key"),
        "the digest itself is not a key"
    );

    // No keys at all: every token is refused.
    let base = start_server(
        "server:\n  auth:\n    provider_config:\n      type: api_keys\n      keys: []\n",
    )
    .await;
    assert_eq!(
        get(&base, "/v1/models", Some("Bearer clear-key")).await.0,
        401
    );
}

/// The demo server at TRACE level, through every outcome of a `custom`
/// provider and of its own API keys: the token is in no log line.
#[tokio::test]
async fn tokens_never_reach_the_logs() {
    let (endpoint, _) = start_auth_server().await;
    let dir = std::env::temp_dir().join(format!("webmethod-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("custom.yaml");
    std::fs::write(
        &config,
        format!("server:\n  auth:\n    provider_config:\n      type: custom\n      endpoint: {endpoint}\n      timeout: 0.5\n"),
    )
    .unwrap();
    let log_path = dir.join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = crate::demo_server::Server::start_logging(
        &["--config", config.to_str().unwrap()],
        &[("RUST_LOG", "trace")],
        log,
    );
    let client = reqwest::Client::new();
    let secret = "echo-S3CRET-TOKEN-7f3a";
    for path in ["/v1/models", "/v1/whoami", "/v1/nowhere", "/v1/health"] {
        for auth in [
            format!("Bearer {secret}"),
            format!("bearer {secret}"),
            format!("Basic {secret}"),
            format!("Bearer {secret} extra"),
        ] {
            let r = client
                .get(server.url(path))
                .header("authorization", &auth)
                .send()
                .await
                .unwrap();
            let headers = format!("{:?}", r.headers());
            let text = format!("{headers} {}", r.text().await.unwrap());
            assert!(
                !text.contains("S3CRET"),
                "{path}: response leaks the token: {text}"
            );
        }
    }
    // The other outcomes, with tokens that are themselves secret-looking.
    for token in [
        "good-token",
        "malformed",
        "server-error",
        "slow",
        "forbidden",
        "forged-principal",
        "forged-message",
    ] {
        let _ = client
            .get(server.url("/v1/models"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
    }
    drop(server);
    let logs = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        logs.contains("webmethod::auth"),
        "decisions are logged:\n{logs}"
    );
    assert!(logs.contains("outcome"), "{logs}");
    assert!(
        !logs.contains("S3CRET"),
        "a log line has the token:\n{logs}"
    );
    for token in ["good-token", "server-error\"", "Bearer slow"] {
        assert!(!logs.contains(token), "a log line has {token}:\n{logs}");
    }
    // Strings from a provider are escaped: a newline never starts a line of
    // its own, an escape sequence never reaches the terminal.
    assert!(
        logs.contains("FORGED-LINE"),
        "the provider's strings are logged:\n{logs}"
    );
    for line in logs.lines() {
        assert!(
            !line.starts_with("FORGED-LINE"),
            "a forged log line:\n{logs}"
        );
        assert!(!line.contains("\u{1b}[2J"), "a raw escape:\n{line}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A provider of the app's own, through the public trait.
struct OneToken;

#[async_trait::async_trait]
impl auth_runtime::authn::AuthProvider for OneToken {
    async fn authenticate(
        &self,
        token: Option<&str>,
        request: auth_runtime::authn::RequestHead<'_>,
    ) -> Result<Arc<auth_runtime::User>, auth_runtime::authn::AuthError> {
        use auth_runtime::authn::AuthError;
        match token {
            Some("let-me-in") => {
                let mut attributes = auth_runtime::Attributes::new();
                attributes.insert("path".into(), vec![request.uri.path().to_owned()]);
                Ok(Arc::new(auth_runtime::User::new("own", attributes)))
            }
            Some("explode") => Err(AuthError::Failed("database on fire".into())),
            _ => Err(AuthError::Rejected("Not the token".into())),
        }
    }
}

#[tokio::test]
async fn an_apps_own_provider() {
    let router = RouterBuilder::new()
        .entries(entries_of(module_path!()))
        .security(
            Security::from_config(&Config::default())
                .unwrap()
                .with_provider(Arc::new(OneToken)),
        )
        .build()
        .unwrap()
        .router;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });

    let (status, body, _) = get(&base, "/v1/models", None).await;
    assert_eq!((status, message(&body)), (401, "Authentication required"));
    let (status, body, _) = get(&base, "/v1/models", Some("Bearer let-me-in")).await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        json!({"principal": "own", "attributes": {"path": ["/v1/models"]}})
    );
    let (status, body, _) = get(&base, "/v1/models", Some("Bearer nope")).await;
    assert_eq!((status, message(&body)), (401, "Not the token"));
    let (status, body, _) = get(&base, "/v1/models", Some("Bearer explode")).await;
    assert_eq!(
        (status, message(&body)),
        (401, "Authentication service error"),
        "the detail stays in the logs"
    );
}
