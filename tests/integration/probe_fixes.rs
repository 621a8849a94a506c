//! Fixes of the black-box probe (issue 21), each against the demo server as
//! a user runs it: its binary, a config file, its logs on stderr.

use std::io::{BufRead, BufReader, Lines};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::demo_server::server_binary;

/// The demo server started with a config file, its stderr in a file.
struct Demo {
    child: Child,
    /// Kept open: the server prints to stdout after its first lines.
    _stdout: Lines<BufReader<ChildStdout>>,
    api: String,
    metrics: Option<String>,
    dir: PathBuf,
}

impl Demo {
    /// Starts the demo with `config` (written to a file of a directory of
    /// its own, named after `name`); `metrics` when the config turns them on.
    fn start(name: &str, config: &str, metrics: bool, env: &[(&str, &str)]) -> Demo {
        let dir =
            std::env::temp_dir().join(format!("webmethod-probe-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("run.yaml");
        std::fs::write(&path, config).unwrap();
        let stderr = std::fs::File::create(dir.join("stderr.log")).unwrap();
        let mut child = Command::new(server_binary())
            .args(["--config", path.to_str().unwrap(), "--port", "0"])
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut next = |prefix: &str, dir: &PathBuf| {
            let line = lines.next().map(Result::unwrap).unwrap_or_else(|| {
                let stderr = std::fs::read_to_string(dir.join("stderr.log")).unwrap_or_default();
                panic!("the server stopped before {prefix:?}:\n{stderr}")
            });
            line.strip_prefix(prefix)
                .unwrap_or_else(|| panic!("expected {prefix:?}, got {line:?}"))
                .to_owned()
        };
        let api = next("listening on ", &dir);
        let metrics = metrics.then(|| next("metrics on ", &dir));
        Demo {
            child,
            _stdout: lines,
            api,
            metrics,
            dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }

    /// What the server logged so far.
    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr.log")).unwrap()
    }

    /// Stops the server; everything it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr()
    }

    /// A counter's value in a scrape (0 when absent), in either text format.
    async fn counter(&self, name: &str) -> f64 {
        let text = reqwest::get(self.metrics.as_deref().unwrap())
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .map_or(0.0, |v| v.trim().parse().unwrap())
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The demo's own config with `extra` lines added under `server:` (indented
/// by two spaces).
fn demo_config_with(extra: &str) -> String {
    include_str!("../../examples/server.yaml").replacen(
        "server:\n",
        &format!("server:\n{extra}"),
        1,
    )
}

/// Item 8: a decision log that cannot be written loses lines, and says so:
/// counted in the metrics, an ERROR on stderr (rate-limited), while every
/// request is still answered as without a log.
#[tokio::test]
async fn decision_log_write_failures_are_counted_and_logged() {
    let demo = Demo::start(
        "full-log",
        &demo_config_with(
            "  metrics: {address: '127.0.0.1:0'}\n  \
             quota: {anonymous_max_requests: 100000, authenticated_max_requests: 100000}\n",
        )
        .replacen(
            "  auth:\n",
            "  auth:\n    decision_log: {path: /dev/full}\n",
            1,
        ),
        true,
        &[],
    );
    let client = reqwest::Client::new();
    let started = Instant::now();
    for i in 0..300 {
        let (key, status) = match i % 3 {
            0 => ("demo-user-key", 200),
            1 => ("not-a-key", 401),
            _ => ("demo-admin-key", 200),
        };
        let r = client
            .get(format!("{}/v1/models/llama-3.2-3b", demo.api))
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "request {i}");
    }
    // Written off the requests' path: wait for the writer to fail.
    let deadline = Instant::now() + Duration::from_secs(10);
    let lost = loop {
        let lost = demo
            .counter("webmethod_decision_log_write_errors_total")
            .await;
        if lost >= 300.0 || Instant::now() > deadline {
            break lost;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // One authentication line per request at least.
    assert!(lost >= 300.0, "{lost} lines counted as lost");
    let logs = demo.stop();
    let elapsed = started.elapsed();
    let errors: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains("decision log cannot be written"))
        .collect();
    assert!(!errors.is_empty(), "no ERROR on stderr:\n{logs}");
    // Rate-limited: one at once, then at most one every 10 s.
    assert!(
        errors.len() as u64 <= 1 + elapsed.as_secs() / 10,
        "{} ERROR lines in {elapsed:?}:\n{logs}",
        errors.len()
    );
    assert!(
        errors[0].contains("lost_since_last_report"),
        "{}",
        errors[0]
    );
}

/// A `custom` endpoint that refuses every token, echoing it back upper-cased
/// and cut short in its message, as a careless identity provider does.
async fn start_echoing_endpoint() -> String {
    async fn refuse(axum::Json(body): axum::Json<serde_json::Value>) -> axum::response::Response {
        use axum::response::IntoResponse;
        let token = body["api_key"].as_str().unwrap_or_default();
        let message = format!(
            "token {} is unknown; did you mean {}…? ({})",
            token.to_uppercase(),
            &token[..token.len().min(14)],
            &token[token.len().saturating_sub(10)..],
        );
        (
            axum::http::StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "message": message })),
        )
            .into_response()
    }
    let app = axum::Router::new().route("/validate", axum::routing::post(refuse));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/validate")
}

/// Whether `text` holds any piece of `token` of 8 characters or more, in any case.
fn holds_a_piece_of(text: &str, token: &str) -> Option<String> {
    let text = text.to_lowercase();
    token
        .to_lowercase()
        .as_bytes()
        .windows(8)
        .map(|w| String::from_utf8_lossy(w).into_owned())
        .find(|piece| text.contains(piece.as_str()))
}

/// Item 12: a provider echoing the token upper-cased or truncated: no piece
/// of it reaches the 401 body, the challenge, the logs or the decision log.
#[tokio::test]
async fn a_token_echoed_upper_cased_or_truncated_is_redacted() {
    let endpoint = start_echoing_endpoint().await;
    let demo = Demo::start(
        "echo",
        &format!(
            "server:\n  auth:\n    decision_log: {{path: stderr}}\n    provider_config:\n      \
             type: custom\n      endpoint: {endpoint}\n      timeout: 2\n"
        ),
        false,
        &[("RUST_LOG", "trace")],
    );
    let token = "zq7-Secret-Tok3n-a8f1c2e9d0b7";
    let r = reqwest::Client::new()
        .get(demo.url("/v1/models"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
    let body: serde_json::Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    // The provider's message is kept, the token's pieces are not.
    assert!(
        message.starts_with("token [redacted] is unknown"),
        "{message}"
    );
    for text in [message, challenge.as_str()] {
        assert_eq!(holds_a_piece_of(text, token), None, "{text}");
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while !demo.stderr().contains("\"decision\":\"authentication\"") {
        assert!(
            Instant::now() < deadline,
            "no decision logged:\n{}",
            demo.stderr()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let logs = demo.stop();
    assert!(
        logs.contains("is unknown"),
        "the message is logged:\n{logs}"
    );
    assert_eq!(holds_a_piece_of(&logs, token), None, "{logs}");
}

/// `127.0.0.1:<port>` on which nothing listens.
fn dead_address() -> String {
    crate::support::refused_address().to_string()
}

/// A JWT (signed with a key no provider has) that claims `iss`.
fn jwt_from(iss: &str) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("k1".into());
    let claims = json!({"iss": iss, "sub": "x", "aud": "llama-stack", "exp": 4_000_000_000u64});
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"not the issuer's key"),
    )
    .unwrap()
}

/// Item 11: configured URLs carrying credentials (`http://user:pass@host`):
/// the password is in no log line and no answer, at startup, on a request
/// without a token, and when fetching from the URL fails.
#[tokio::test]
async fn url_credentials_never_reach_the_logs_or_answers() {
    const PASSWORD: &str = "pw-Vq83Lx";
    let dead = dead_address();
    let at = |path: &str| format!("http://someone:{PASSWORD}@{dead}{path}");
    let jwt_issuer = "https://jwks.example";
    let discovered_issuer = at("");
    let configs = [
        // JWKS by URL, JWKS by discovery, a custom endpoint: several providers.
        format!(
            "server:\n  auth:\n    providers:\n      \
             - {{type: oauth2_token, issuer: '{jwt_issuer}', jwks: {{uri: '{}'}}, timeout: 1}}\n      \
             - {{type: oauth2_token, name: discovered, issuer: '{discovered_issuer}', timeout: 1}}\n      \
             - {{type: custom, endpoint: '{}', timeout: 1}}\n",
            at("/jwks"),
            at("/validate"),
        ),
        format!(
            "server:\n  auth:\n    provider_config:\n      type: oauth2_token\n      timeout: 1\n      \
             introspection: {{url: '{}', client_id: c, client_secret: s}}\n",
            at("/introspect")
        ),
        format!(
            "server:\n  auth:\n    provider_config:\n      type: oauth2_token\n      timeout: 1\n      \
             issuer: '{discovered_issuer}'\n      introspection: {{client_id: c, client_secret: s}}\n",
        ),
        // One JWT provider: its 401 hint names the issuer.
        format!(
            "server:\n  auth:\n    provider_config: {{type: oauth2_token, issuer: '{discovered_issuer}', \
             jwks: {{uri: '{}'}}, timeout: 1}}\n",
            at("/jwks")
        ),
        format!(
            "server:\n  auth:\n    provider_config: {{type: github_token, github_api_base_url: '{}', timeout: 1}}\n",
            at("/api")
        ),
        format!(
            "server:\n  auth:\n    provider_config: {{type: kubernetes, api_server_url: '{}', timeout: 1}}\n",
            at("")
        ),
    ];
    let client = reqwest::Client::new();
    for (i, config) in configs.iter().enumerate() {
        let demo = Demo::start(&format!("url-{i}"), config, false, &[("RUST_LOG", "trace")]);
        let mut answers = String::new();
        for token in [
            None,
            Some("an-opaque-token".to_owned()),
            Some(jwt_from(jwt_issuer)),
            Some(jwt_from(&discovered_issuer)),
        ] {
            let mut request = client.get(demo.url("/v1/models"));
            if let Some(token) = &token {
                request = request.bearer_auth(token);
            }
            let r = request.send().await.unwrap();
            answers.push_str(&format!("{} {:?} ", r.status(), r.headers()));
            answers.push_str(&r.text().await.unwrap());
            answers.push('\n');
        }
        let logs = demo.stop();
        assert!(
            answers.contains("401") || answers.contains("503"),
            "{config}\n{answers}"
        );
        assert!(!answers.contains(PASSWORD), "{config}\n{answers}");
        assert!(!logs.contains(PASSWORD), "{config}\n{logs}");
        // The host is still named where a URL is shown.
        if i == 3 {
            assert!(
                answers.contains(&format!("token from http://{dead}")),
                "the 401 hint names the issuer:\n{answers}"
            );
        }
        if i == 0 {
            assert!(
                logs.contains(&format!("http://{dead}/jwks")),
                "the failing JWKS fetch is logged with its URL:\n{logs}"
            );
        }
    }
}

/// Item 11, `custom`: the endpoint URL's userinfo is sent as HTTP Basic
/// credentials (as llama-stack's httpx and the other providers' client do),
/// not left in the URI where the HTTP client's own logs would show it.
#[tokio::test]
async fn a_custom_endpoint_gets_its_url_credentials_as_basic_auth() {
    async fn validate(headers: axum::http::HeaderMap) -> axum::response::Response {
        use axum::response::IntoResponse;
        // base64("svc:p@ss word")
        if headers.get("authorization").and_then(|v| v.to_str().ok())
            == Some("Basic c3ZjOnBAc3Mgd29yZA==")
        {
            axum::Json(json!({"principal": "via-basic"})).into_response()
        } else {
            (
                axum::http::StatusCode::UNAUTHORIZED,
                axum::Json(json!({"message": "no basic credentials"})),
            )
                .into_response()
        }
    }
    let app = axum::Router::new().route("/validate", axum::routing::post(validate));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let demo = Demo::start(
        "custom-basic",
        &format!(
            "server:\n  auth:\n    provider_config:\n      type: custom\n      \
             endpoint: 'http://svc:p%40ss%20word@{addr}/validate'\n"
        ),
        false,
        &[("RUST_LOG", "trace")],
    );
    let r = reqwest::Client::new()
        .get(demo.url("/v1/whoami"))
        .bearer_auth("some-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let who: serde_json::Value = r.json().await.unwrap();
    assert_eq!(who["principal"], "via-basic");
    let logs = demo.stop();
    assert!(!logs.contains("p%40ss"), "{logs}");
}

/// Item 16: `upstream_header` attributes naming a key twice are 401, as a
/// JWT with a repeated claim is: two parsers on the way may keep different
/// copies, so neither is believed.
#[tokio::test]
async fn upstream_attributes_naming_a_key_twice_are_refused() {
    let demo = Demo::start(
        "upstream-dup",
        "server:\n  auth:\n    provider_config:\n      type: upstream_header\n      \
         principal_header: x-auth-user\n      attributes_header: x-auth-attributes\n",
        false,
        &[],
    );
    let client = reqwest::Client::new();
    let whoami = |attributes: &'static str| {
        client
            .get(demo.url("/v1/whoami"))
            .header("x-auth-user", "alice")
            .header("x-auth-attributes", attributes)
            .send()
    };
    let r = whoami(r#"{"roles": ["user"]}"#).await.unwrap();
    assert_eq!(r.status(), 200);
    let r = whoami(r#"{"roles": ["user"], "roles": ["admin"]}"#)
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "Failed to parse authentication attributes header: a key is named twice"
    );
    let r = whoami(r#"{"roles": ["user"], "meta": {"a": 1, "a": 2}}"#)
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// Item 17: `allow_origin_regex` accepting any origin, with credentials, stops
/// the start naming the field, as `*` with credentials does; a regex naming
/// hosts starts.
#[test]
fn a_cors_regex_matching_any_origin_with_credentials_stops_the_start() {
    let dir = std::env::temp_dir().join(format!("webmethod-probe-cors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (i, regex) in [".*", "https?://.+"].iter().enumerate() {
        let config = dir.join(format!("cors-{i}.yaml"));
        std::fs::write(
            &config,
            demo_config_with(&format!(
                "  cors: {{allow_origin_regex: '{regex}', allow_credentials: true}}\n"
            )),
        )
        .unwrap();
        let mut child = Command::new(server_binary())
            .args(["--port", "0", "--config", config.to_str().unwrap()])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // A server that started would run on: give it 30 s to refuse.
        let deadline = Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{regex}: the server started");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{regex}: started");
        assert!(out.stdout.is_empty(), "{regex}: it listened");
        assert!(
            stderr.contains("server.cors.allow_origin_regex"),
            "{regex}: {stderr}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_cors_regex_naming_hosts_serves_with_credentials() {
    let demo = Demo::start(
        "cors-ok",
        &demo_config_with(
            "  cors: {allow_origin_regex: 'https://([a-z0-9-]+\\.)?example\\.com', \
             allow_credentials: true, allow_methods: [GET]}\n",
        ),
        false,
        &[],
    );
    let r = reqwest::Client::new()
        .get(demo.url("/v1/health"))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(r.headers()["access-control-allow-credentials"], "true");
}

/// The schemathesis version scripts/test installs (keep the two in step).
const SCHEMATHESIS: &str = "4.32.5";

/// Item 21: schemathesis, an independent fuzzer, against the demo's served
/// OpenAPI document, as the admin (who may call every route): every request
/// the document allows is accepted (no "schema-valid request rejected", as
/// an empty `model_id` was), and every answer has a documented status,
/// content type, headers and body; no 5xx; a protected route ignores no
/// missing credentials. Deterministic (a fixed seed), about 30 cases per
/// operation: seconds, not minutes.
#[tokio::test]
async fn schemathesis_finds_no_failure_in_the_demo() {
    let demo = Demo::start(
        "schemathesis",
        &demo_config_with(
            "  openapi: {path: /openapi.json}\n  \
             quota: {anonymous_max_requests: 1000000, authenticated_max_requests: 1000000}\n",
        ),
        false,
        &[],
    );
    let checks = [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "positive_data_acceptance",
        "ignored_auth",
    ];
    let document = demo.url("/openapi.json");
    let dir = demo.dir.clone();
    let run = tokio::task::spawn_blocking(move || {
        // Through the interpreter: a console script pip just installed may
        // not be on PATH yet (pyenv needs a rehash for its shim).
        Command::new("python3")
            .args([
                "-m",
                "schemathesis.cli",
                "run",
                &document,
                "--no-color",
                "--workers",
                "1",
            ])
            .args(["--max-examples", "30", "--seed", "1"])
            .args(["--generation-database", "none", "--request-timeout", "10"])
            .args(["--checks", &checks.join(",")])
            .args(["-H", "Authorization: Bearer demo-admin-key"])
            .current_dir(&dir)
            .output()
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| {
        panic!(
            "cannot run schemathesis ({e}): scripts/test installs it, or \
             `python3 -m pip install schemathesis=={SCHEMATHESIS}`"
        )
    });
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "schemathesis found failures:\n{stdout}\n{stderr}"
    );
    // It did test every operation, POST /v1/models included.
    assert!(stdout.contains("Tested: 10"), "{stdout}\n{stderr}");
    assert!(stdout.contains("passed"), "{stdout}");
}
