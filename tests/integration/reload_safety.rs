//! A reload never lowers security by itself (issue 21): SIGHUP with a file
//! that is empty, has no `server`, or configures no authentication keeps the
//! running config; keys only a restart applies are named; the startup's
//! warnings are printed again; a server without a file keeps running; an
//! unchanged provider keeps its fetched keys and cache through an IdP outage.
//! The demo server runs as a real process, signalled through the shell.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::demo_server::server_binary;

/// The demo server, its API address and everything it wrote to stderr.
struct Server {
    child: Child,
    api: String,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Starts the demo server with `args` (plus `--port 0`).
    fn start(args: &[&str]) -> Server {
        let mut child = Command::new(server_binary())
            .args(args)
            .args(["--port", "0"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("no output; stderr: {}", stderr.lock().unwrap()))
            .unwrap();
        let api = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected {line:?}"))
            .to_owned();
        // Keep draining stdout so the server never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        Server { child, api, stderr }
    }

    /// Sends SIGHUP through the shell's own `kill`.
    fn hangup(&self) {
        let status = Command::new("sh")
            .args(["-c", &format!("kill -HUP {}", self.child.id())])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (30 s at most: a loaded machine) until `needle` occurs `count`
    /// times on stderr; the whole of stderr.
    async fn wait_for(&self, needle: &str, count: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let log = self.log();
            if log.matches(needle).count() >= count {
                return log;
            }
            assert!(
                Instant::now() < deadline,
                "never saw {needle:?} {count} times:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn status(&self, path: &str, key: Option<&str>) -> u16 {
        let mut request = reqwest::Client::new().get(format!("{}{path}", self.api));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send().await.unwrap().status().as_u16()
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("webmethod-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const PROTECTED: &str = "server:
  auth:
    provider_config:
      type: api_keys
      keys:
        - {key: admin-key, principal: admin, attributes: {roles: [admin]}}
        - {key: user-key, principal: alice, attributes: {roles: [user]}}
    route_policy:
      - permit: {paths: '/v1/files*'}
        when: user with admin in roles
      - forbid: {paths: '/v1/files*'}
      - permit: {paths: '*'}
";

#[tokio::test]
async fn a_reload_never_switches_authentication_off() {
    let dir = temp_dir("reload-off");
    let path = dir.join("run.yaml");
    std::fs::write(&path, PROTECTED).unwrap();
    let server = Server::start(&["--config", path.to_str().unwrap()]);
    assert_eq!(server.status("/v1/models", None).await, 401);

    let refusals = [
        // An editor that truncated the file, a full disk.
        ("", "is empty"),
        ("# nothing here\n", "is empty"),
        // A merge that lost the section.
        ("models: []\n", "missing from"),
        // A config that loads but authenticates nobody.
        (
            "server: {port: 8321}\n",
            "never switches authentication off",
        ),
        (
            "server:\n  auth:\n    route_policy: [{permit: {paths: '*'}}]\n",
            "never switches authentication off",
        ),
    ];
    for (text, why) in refusals {
        let before = server.log().matches(why).count();
        std::fs::write(&path, text).unwrap();
        server.hangup();
        let log = server.wait_for(why, before + 1).await;
        assert!(
            log.contains("config reload refused; the running config stays"),
            "{text:?}: {log}"
        );
        // Still authenticated, still under the route policy.
        assert_eq!(server.status("/v1/models", None).await, 401, "{text:?}");
        assert_eq!(
            server.status("/v1/models", Some("user-key")).await,
            200,
            "{text:?}"
        );
        assert_eq!(
            server.status("/v1/files/a", Some("user-key")).await,
            403,
            "{text:?}"
        );
    }
    assert!(!server.log().contains("config reloaded"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_server_started_without_authentication_may_reload_into_it() {
    let dir = temp_dir("reload-on");
    let path = dir.join("run.yaml");
    std::fs::write(&path, "server: {workers: 2}\n").unwrap();
    let server = Server::start(&["--config", path.to_str().unwrap()]);
    assert_eq!(server.status("/v1/models", None).await, 200);
    // Every warning of the start is printed by a reload too.
    let log = server.wait_for("no authentication provider", 1).await;
    assert!(log.contains("server.workers"), "{log}");
    std::fs::write(&path, "server: {workers: 2}\n").unwrap();
    server.hangup();
    let log = server.wait_for("config reloaded", 1).await;
    assert_eq!(
        log.matches("no authentication provider").count(),
        2,
        "{log}"
    );
    assert_eq!(log.matches("server.workers").count(), 2, "{log}");
    // Switching authentication on is raising security: allowed.
    std::fs::write(&path, PROTECTED).unwrap();
    server.hangup();
    server.wait_for("config reloaded", 2).await;
    assert_eq!(server.status("/v1/models", None).await, 401);
    assert_eq!(server.status("/v1/models", Some("admin-key")).await, 200);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_reload_names_the_keys_that_need_a_restart() {
    let dir = temp_dir("reload-restart");
    let path = dir.join("run.yaml");
    std::fs::write(&path, PROTECTED).unwrap();
    let server = Server::start(&["--config", path.to_str().unwrap()]);
    let changed = PROTECTED.replace(
        "server:\n",
        "server:\n  port: 1\n  cors: true\n  limits: {max_connections: 50}\n",
    );
    std::fs::write(&path, changed).unwrap();
    server.hangup();
    let log = server.wait_for("config reloaded", 1).await;
    let restart: Vec<_> = log
        .lines()
        .filter(|l| l.contains("WARN") && l.contains("needs a restart"))
        .collect();
    for key in ["server.cors", "server.limits"] {
        assert!(restart.iter().any(|l| l.contains(key)), "{key}: {log}");
    }
    // `--port` was given: the config's port is not read, nothing to restart for.
    assert!(!restart.iter().any(|l| l.contains("server.port")), "{log}");
    // An unchanged restart-only key is not named.
    assert!(!restart.iter().any(|l| l.contains("tls_")), "{log}");
    // The rest of the config applied.
    assert_eq!(server.status("/v1/models", Some("user-key")).await, 200);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn sighup_without_a_config_file_keeps_serving() {
    // The embedded config: nothing to re-read.
    let server = Server::start(&[]);
    assert_eq!(server.status("/v1/health", None).await, 200);
    server.hangup();
    server.wait_for("no file to re-read", 1).await;
    server.hangup();
    server.wait_for("no file to re-read", 2).await;
    assert_eq!(server.status("/v1/health", None).await, 200);
    assert_eq!(
        server.status("/v1/models", Some("demo-user-key")).await,
        200
    );
}

/// A JWKS endpoint that can be switched to answering 503.
async fn switchable_jwks(jwks: String, down: Arc<AtomicBool>) -> String {
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let (jwks, down) = (jwks.clone(), down.clone());
            async move {
                if down.load(Ordering::SeqCst) {
                    StatusCode::SERVICE_UNAVAILABLE.into_response()
                } else {
                    ([("content-type", "application/json")], jwks).into_response()
                }
            }
        }),
    );
    format!("{}/jwks", crate::support::serve(app).await)
}

#[tokio::test]
async fn a_reload_during_an_idp_outage_keeps_keys_and_cache() {
    let issuer = auth_runtime::testing::TestIssuer::start().await;
    let keys = reqwest::get(issuer.jwks_uri())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let down = Arc::new(AtomicBool::new(false));
    let jwks = switchable_jwks(keys, down.clone()).await;
    let dir = temp_dir("reload-outage");
    let path = dir.join("run.yaml");
    let config = |extra: &str| {
        format!(
            "server:\n  auth:\n    provider_config:\n      type: oauth2_token\n      issuer: {}\n      audience: test-api\n      jwks: {{uri: \"{jwks}\"}}\n{extra}",
            issuer.issuer()
        )
    };
    std::fs::write(&path, config("")).unwrap();
    let server = Server::start(&["--config", path.to_str().unwrap()]);
    let token = |sub: &str| issuer.token(json!({"sub": sub, "aud": "test-api"}));
    let (cached, fresh) = (token("alice"), token("bob"));
    assert_eq!(server.status("/v1/models", Some(&cached)).await, 200);

    // The identity provider goes down; the config changes elsewhere (a
    // route policy) but not the provider's.
    down.store(true, Ordering::SeqCst);
    std::fs::write(
        &path,
        config("    route_policy: [{forbid: {paths: '/v1/files*'}}, {permit: {paths: '*'}}]\n"),
    )
    .unwrap();
    server.hangup();
    server.wait_for("config reloaded", 1).await;
    // The cached user, and a token never seen (verified with the kept keys).
    assert_eq!(server.status("/v1/models", Some(&cached)).await, 200);
    assert_eq!(server.status("/v1/models", Some(&fresh)).await, 200);
    assert_eq!(server.status("/v1/files/x", Some(&fresh)).await, 403);

    // A changed provider is built afresh: its keys are fetched again, and
    // the outage answers 503.
    std::fs::write(
        &path,
        config("    cache: {ttl: 30}\n")
            .replace("audience: test-api", "audience: [test-api, other]"),
    )
    .unwrap();
    server.hangup();
    server.wait_for("config reloaded", 2).await;
    assert_eq!(
        server.status("/v1/models", Some(&token("carol"))).await,
        503
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_config_file_or_one_without_server_does_not_start() {
    let dir = temp_dir("start-empty");
    for (name, text, why) in [
        ("empty.yaml", "", "is empty"),
        ("comment.yaml", "# all commented out\n", "is empty"),
        ("other.yaml", "models: []\n", "missing from"),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let out = Command::new(server_binary())
            .args(["--config", path.to_str().unwrap(), "--port", "0"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name} started");
        assert!(stderr.contains(why), "{name}: {stderr}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
