//! The demo server as a user runs it: its binary, its command line, its routes.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};

/// `target/<profile>/examples/server`. A plain `cargo test` builds it with the
/// tests; a run of this test binary alone builds it here.
pub(crate) fn server_binary() -> PathBuf {
    example_binary("server")
}

/// `target/<profile>/examples/<name>`, built here when missing.
pub(crate) fn example_binary(name: &str) -> PathBuf {
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    let path = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    let _one_build_at_a_time = BUILD.lock().unwrap_or_else(|p| p.into_inner());
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "--example", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "building the {name} example failed");
    }
    path
}

/// A running demo server on a free port, killed on drop.
pub struct Server {
    child: Child,
    base: String,
}

impl Server {
    pub fn start(args: &[&str]) -> Server {
        Server::start_logging(args, &[], Stdio::null())
    }

    /// Starts with extra environment variables, its stderr (the logs) sent to `stderr`.
    pub fn start_logging(args: &[&str], env: &[(&str, &str)], stderr: impl Into<Stdio>) -> Server {
        Server::start_binary(server_binary(), args, env, stderr.into())
    }

    /// Another example built on `App` (it prints `listening on` the same way).
    pub fn start_example(name: &str, args: &[&str]) -> Server {
        Server::start_binary(example_binary(name), args, &[], Stdio::null())
    }

    fn start_binary(binary: PathBuf, args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Server {
        let mut child = Command::new(binary)
            .args(args)
            .args(["--port", "0"])
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_owned();
        Server { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The demo server's stderr for a config it must refuse (killed, and the
/// test failed, if it starts serving instead).
pub(crate) fn refused_start(config: &std::path::Path) -> String {
    let stderr = config.with_extension("stderr");
    let mut child = Command::new(server_binary())
        .args(["--config", config.to_str().unwrap(), "--port", "0"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the server started:\n{}",
                std::fs::read_to_string(&stderr).unwrap_or_default()
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(!status.success());
    std::fs::read_to_string(&stderr).unwrap()
}

#[test]
fn routes_json_lists_every_route_with_its_policy() {
    let out = Command::new(server_binary())
        .args(["routes", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let routes: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let mut seen: Vec<(String, String, bool, Value, bool)> = routes
        .iter()
        .map(|r| {
            for key in ["template", "handler", "file", "line"] {
                assert!(r.get(key).is_some(), "{key} missing in {r}");
            }
            assert_eq!(r["file"], "examples/server.rs");
            (
                r["method"].as_str().unwrap().to_owned(),
                r["path"].as_str().unwrap().to_owned(),
                r["require_authentication"].as_bool().unwrap(),
                r["required_scope"].clone(),
                r["deprecated"].as_bool().unwrap(),
            )
        })
        .collect();
    seen.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let expected = [
        (
            "DELETE",
            "/v1/models/{model_id}",
            true,
            json!("models.write"),
            false,
        ),
        ("GET", "/v1/catalog", false, Value::Null, false),
        ("GET", "/v1/files/{*path}", true, Value::Null, false),
        ("GET", "/v1/health", false, Value::Null, false),
        ("GET", "/v1/models", true, Value::Null, false),
        ("GET", "/v1/models/{model_id}", true, Value::Null, false),
        ("GET", "/v1/openai/v1/models", true, Value::Null, true),
        ("GET", "/v1/version", false, Value::Null, false),
        ("GET", "/v1/whoami", true, Value::Null, false),
        ("POST", "/v1/models", true, json!("models.write"), false),
    ]
    .map(|(m, p, a, s, d)| (m.to_owned(), p.to_owned(), a, s, d));
    assert_eq!(seen, expected);
}

#[test]
fn routes_table_shows_auth_and_location() {
    let out = Command::new(server_binary())
        .arg("routes")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let health = text.lines().find(|l| l.contains("/v1/health")).unwrap();
    assert!(
        health.contains("public") && health.contains("examples/server.rs:"),
        "{health}"
    );
    let post = text.lines().find(|l| l.starts_with("POST")).unwrap();
    assert!(
        post.contains("required") && post.contains("models.write"),
        "{post}"
    );
}

#[test]
fn bad_command_line_is_refused() {
    let out = Command::new(server_binary())
        .args(["--port", "nope"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = Command::new(server_binary())
        .args(["routes", "--format", "xml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = Command::new(server_binary())
        .args(["--config", "/does/not/exist.yaml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/does/not/exist.yaml"));

    // A bad field: the server refuses to start and names the field.
    let dir = std::env::temp_dir().join(format!("webmethod-badconf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("bad.yaml");
    std::fs::write(
        &config,
        "server:\n  auth:\n    provider_config:\n      type: custom\n      endpoint: http://127.0.0.1:1/x\n      timeout: soon\n",
    )
    .unwrap();
    let out = Command::new(server_binary())
        .args(["--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("server.auth.provider_config.timeout"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "it never listened");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Every error of a config at once, each naming its field, in `serve` and
/// in `policy check`; `${env.X}` outside `server` is not webmethod's.
#[test]
fn every_config_error_is_reported_and_only_server_is_substituted() {
    let dir = std::env::temp_dir().join(format!("webmethod-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("bad.yaml");
    std::fs::write(
        &config,
        "server:\n  auth:\n    provider_config: {type: custom, endpoint: 'not a url'}\n    \
         access_policy: [{permit: {actions: [fly]}}]\n    route_policy: [{permit: {paths: 'regex:('}}]\n  \
         quota: {kvstore: {type: etcd}}\n",
    )
    .unwrap();
    for args in [
        vec!["--config", config.to_str().unwrap()],
        vec!["policy", "check", "--config", config.to_str().unwrap()],
    ] {
        let out = Command::new(server_binary()).args(&args).output().unwrap();
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        for field in [
            "server.auth.provider_config.endpoint",
            "server.auth.access_policy[0].permit.actions",
            "server.auth.route_policy[0].permit.paths",
            "server.quota.kvstore.type",
        ] {
            assert!(
                stderr.contains(field),
                "{args:?}: {field} missing in {stderr}"
            );
        }
        assert!(out.stdout.is_empty(), "{args:?}: it never listened");
    }

    // A run.yaml whose other sections use a variable unset here still loads.
    let run_yaml = dir.join("run.yaml");
    std::fs::write(
        &run_yaml,
        "models:\n  - model_id: ${env.INFERENCE_MODEL_NOT_SET_HERE}\nserver:\n  port: 8321\n",
    )
    .unwrap();
    let out = Command::new(server_binary())
        .args(["policy", "check", "--config", run_yaml.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A client that sends the demo admin key on every request.
fn admin() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("authorization", "Bearer demo-admin-key".parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
}

#[tokio::test]
async fn serves_the_model_registry() {
    let server = Server::start(&["serve"]);
    let client = admin();

    let health: Value = client
        .get(server.url("/v1/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health, json!({"status": "OK"}));
    let version = client.get(server.url("/v1/version")).send().await.unwrap();
    assert_eq!(version.status(), 200);

    let created = client
        .post(server.url("/v1/models"))
        .json(&json!({"model_id": "m1", "provider_id": "p"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let again = client
        .post(server.url("/v1/models"))
        .json(&json!({"model_id": "m1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    let bad = client
        .post(server.url("/v1/models"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let body: Value = bad.json().await.unwrap();
    assert!(body["error"]["message"].is_string());

    let model: Value = client
        .get(server.url("/v1/models/m1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(model["identifier"], "m1");
    let list: Value = client
        .get(server.url("/v1/models"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let alias: Value = client
        .get(server.url("/v1/openai/v1/models"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list, alias);
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["identifier"] == "m1")
    );

    let deleted = client
        .delete(server.url("/v1/models/m1"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = client
        .get(server.url("/v1/models/m1"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    let body: Value = gone.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("m1"));

    let file: Value = client
        .get(server.url("/v1/files/docs/guide.md"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(file["path"], "docs/guide.md");
    let who: Value = client
        .get(server.url("/v1/whoami"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(who.get("principal").is_some());

    // A path parameter that is not UTF-8 once decoded: a JSON 400, not plain text.
    let bad_param = client
        .get(server.url("/v1/models/%FF"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_param.status(), 400);
    let body: Value = bad_param.json().await.unwrap();
    assert!(body["error"]["message"].is_string());

    let missing = client.get(server.url("/v1/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let wrong = client.put(server.url("/v1/health")).send().await.unwrap();
    assert_eq!(wrong.status(), 405);
}

#[tokio::test]
async fn config_file_sets_the_port_and_unknown_sections_are_ignored() {
    let dir = std::env::temp_dir().join(format!("webmethod-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("run.yaml");
    std::fs::write(
        &config,
        "version: 2\napis: [inference]\nserver:\n  port: 0\n  host: 127.0.0.1\n",
    )
    .unwrap();
    let server = Server::start(&["--config", config.to_str().unwrap()]);
    let r = reqwest::get(server.url("/v1/health")).await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn demo_keys_authenticate_and_scopes_apply() {
    let server = Server::start(&[]);
    let client = reqwest::Client::new();
    let get = |path: &str, key: Option<&str>| {
        let mut request = client.get(server.url(path));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        request.send()
    };

    let r = get("/v1/models", None).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        "Bearer realm=\"webmethod\""
    );
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Authentication required")
    );

    let r = get("/v1/models", Some("wrong-key")).await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": {"message": "Invalid API key"}})
    );

    let who: Value = get("/v1/whoami", Some("demo-user-key"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        who,
        json!({"principal": "alice", "attributes": {"roles": ["user"], "teams": ["ml"], "scopes": ["models.read"]}})
    );

    // alice lacks models.write: 403 with `detail`.
    let r = client
        .post(server.url("/v1/models"))
        .bearer_auth("demo-user-key")
        .json(&json!({"model_id": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // RFC 6750 §3.1: the challenge names the scope that would do.
    assert_eq!(
        r.headers()["www-authenticate"],
        r#"Bearer realm="webmethod", error="insufficient_scope", scope="models.write""#
    );
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": {"detail": "Access denied: user does not have required scope: models.write"}})
    );

    // Public routes need nothing; unknown paths need a key before they say 404.
    assert_eq!(get("/v1/health", None).await.unwrap().status(), 200);
    assert_eq!(get("/v1/nothing", None).await.unwrap().status(), 401);
    assert_eq!(
        get("/v1/nothing", Some("demo-user-key"))
            .await
            .unwrap()
            .status(),
        404
    );
}

/// Every example config loads; all but the in-cluster Kubernetes one (its CA
/// file exists only in a pod) build their provider.
#[test]
fn example_configs_load() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/configs");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let config =
            auth_runtime::config::Config::parse(&text, &path.display().to_string(), &|name| {
                match name {
                    "INTROSPECTION_URL" => Some("https://idp.example/introspect".to_owned()),
                    "CLIENT_ID" | "CLIENT_SECRET" => Some(format!("value-of-{name}")),
                    _ => None,
                }
            })
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if !path.ends_with("kubernetes.yaml") {
            auth_runtime::Security::from_config(&config)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        seen += 1;
    }
    assert!(seen >= 7, "{seen} configs");
}

/// The demo's default policy: ownership, teammates, forbid-unless, route policy.
#[tokio::test]
async fn demo_policy_walkthrough() {
    let server = Server::start(&[]);
    let client = reqwest::Client::new();
    let call = |method: reqwest::Method, path: &str, key: &str| {
        client
            .request(method, server.url(path))
            .bearer_auth(key)
            .send()
    };
    let register = |key: &'static str, id: &'static str| {
        client
            .post(server.url("/v1/models"))
            .bearer_auth(key)
            .json(&json!({"model_id": id}))
            .send()
    };
    use reqwest::Method;

    // bob registers a model: he owns it.
    let r = register("demo-bob-key", "bob-model").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["owner"], "bob");
    // admin registers one too; admin shares no team with alice.
    assert_eq!(
        register("demo-admin-key", "admin-model")
            .await
            .unwrap()
            .status(),
        200
    );

    // alice (team ml, like bob) reads bob's model, not admin's.
    assert_eq!(
        call(Method::GET, "/v1/models/bob-model", "demo-user-key")
            .await
            .unwrap()
            .status(),
        200
    );
    let r = call(Method::GET, "/v1/models/admin-model", "demo-user-key")
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let detail = r.json::<Value>().await.unwrap()["error"]["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.starts_with("User 'alice' (attributes: ")
            && detail.ends_with("cannot perform action 'read' on resource 'model::admin-model'"),
        "{detail}"
    );
    let list: Value = call(Method::GET, "/v1/models", "demo-user-key")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["identifier"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"bob-model") && ids.contains(&"llama-3.2-3b"),
        "{ids:?}"
    );
    assert!(
        !ids.contains(&"admin-model"),
        "the list is filtered by the policy: {ids:?}"
    );

    // bob may delete shared models, but the base model only an admin may delete.
    assert_eq!(
        call(Method::DELETE, "/v1/models/llama-3.2-3b", "demo-bob-key")
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        call(Method::DELETE, "/v1/models/all-minilm", "demo-bob-key")
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        call(Method::DELETE, "/v1/models/admin-model", "demo-bob-key")
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        call(Method::DELETE, "/v1/models/bob-model", "demo-bob-key")
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        call(Method::DELETE, "/v1/models/llama-3.2-3b", "demo-admin-key")
            .await
            .unwrap()
            .status(),
        204
    );

    // Route policy: files are for admins.
    let r = call(Method::GET, "/v1/files/readme.txt", "demo-user-key")
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": {"detail": "Access denied: insufficient permissions for route /v1/files/readme.txt"}})
    );
    assert_eq!(
        call(Method::GET, "/v1/files/readme.txt", "demo-admin-key")
            .await
            .unwrap()
            .status(),
        200
    );
}

/// `GET /v1/catalog`: public, knows a signed-in caller, shows what it may read.
#[tokio::test]
async fn demo_catalog_is_public_and_knows_a_signed_in_caller() {
    let server = Server::start(&[]);
    let client = reqwest::Client::new();
    let catalog = |key: Option<&'static str>| {
        let mut request = client.get(server.url("/v1/catalog"));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        async move {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(catalog(None).await, json!({"principal": null, "data": []}));
    assert_eq!(
        catalog(Some("not-a-key")).await,
        json!({"principal": null, "data": []})
    );
    let alice = catalog(Some("demo-user-key")).await;
    assert_eq!(alice["principal"], "alice");
    let models: Value = client
        .get(server.url("/v1/models"))
        .bearer_auth("demo-user-key")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        alice["data"], models["data"],
        "the same objects as GET /v1/models"
    );
    assert!(
        alice["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["identifier"] == "llama-3.2-3b" && m["owner"].is_null()),
        "{alice}"
    );
}

/// Config typos that would serve every route anonymously stop `serve` and
/// `policy check`, naming the field and the key meant.
#[test]
fn security_typos_stop_the_start() {
    let dir = std::env::temp_dir().join(format!("webmethod-typos-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let keys = "provider_config: {type: api_keys, keys: [{key: k, principal: p}]}";
    for (i, (yaml, field, meant)) in [
        (
            format!("Server:\n  auth:\n    {keys}\n"),
            "`Server`",
            "`server`",
        ),
        (
            format!("server:\n  Auth:\n    {keys}\n"),
            "server.Auth",
            "`auth`",
        ),
        (
            format!("server:\n  authentication:\n    {keys}\n"),
            "server.authentication",
            "`auth`",
        ),
        (
            "server:\n  auth:\n    provider_config: ${env.WEBMETHOD_UNSET_PC:=}\n".to_owned(),
            "server.auth.provider_config",
            "type",
        ),
        (
            "server:\n  auth:\n    provider-config: {type: api_keys}\n".to_owned(),
            "server.auth.provider-config",
            "`provider_config`",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let config = dir.join(format!("typo-{i}.yaml"));
        std::fs::write(&config, &yaml).unwrap();
        for args in [
            vec!["--port", "0", "--config", config.to_str().unwrap()],
            vec!["policy", "check", "--config", config.to_str().unwrap()],
        ] {
            let out = Command::new(server_binary()).args(&args).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{args:?} started with:\n{yaml}");
            assert!(
                stderr.contains(field) && stderr.contains(meant),
                "{yaml}\n{stderr}"
            );
            assert!(
                !String::from_utf8_lossy(&out.stdout).contains("listening"),
                "{yaml}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
