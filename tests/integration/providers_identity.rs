//! Several providers on one server never share an identity: the demo server
//! with API keys and a JWT issuer whose token says `sub: admin`, as an API
//! key's principal `admin`. Policies, ownership, quota counters, the
//! decision log and the metrics all tell the two apart. And a token refused
//! on a public route is logged and audited like any refusal.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use auth_runtime::testing::TestIssuer;
use serde_json::{Value, json};

use crate::demo_server::{Server, refused_start};

/// The API key of the provider `api_keys`, whose principal is `admin`.
const KEY_ADMIN: &str = "key-admin-S3CRET-1";

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "webmethod-providers-identity-{test}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `server.auth.providers`: API keys (`admin`) and the issuer's JWTs
/// (`partners`), indented under `auth:`.
fn providers(issuer: &TestIssuer) -> String {
    format!(
        "    providers:\n      \
         - type: api_keys\n        \
           keys:\n          \
             - {{key: {KEY_ADMIN}, principal: admin, attributes: {{roles: [admin], scopes: [models.read, models.write]}}}}\n      \
         - type: oauth2_token\n        \
           name: partners\n        \
           issuer: {}\n        \
           audience: partner-api\n        \
           jwks: {{uri: '{}'}}\n        \
           claims_mapping: {{scope: scopes}}\n",
        issuer.issuer(),
        issuer.jwks_uri()
    )
}

/// The partner IdP's `admin`, with the same scopes as the key's.
fn partner_admin(issuer: &TestIssuer) -> String {
    issuer.token(json!({"sub": "admin", "aud": "partner-api", "scope": "models.read models.write"}))
}

/// Owners manage their models; writers create them. No principal named.
const OWNERS_POLICY: &str = "    access_policy:\n      \
     - permit: {actions: [create]}\n        \
       when: user with models.write in scopes\n      \
     - permit: {actions: [read, update, delete]}\n        \
       when: user is owner\n";

/// The JSON lines of the decision log once one satisfies `done` (10 s at most).
async fn decisions(log: &Path, done: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        if lines.iter().any(&done) {
            assert!(!text.contains("S3CRET"), "a token in the log: {text}");
            return lines;
        }
        assert!(Instant::now() < deadline, "not yet in the log:\n{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unqualified_policy_principal_stops_the_start() {
    let issuer = TestIssuer::start().await;
    let dir = scratch("unqualified");
    let config = dir.join("run.yaml");
    std::fs::write(
        &config,
        format!(
            "server:\n  auth:\n{}    access_policy:\n      \
             - permit: {{principal: 'api_keys:admin', actions: [read]}}\n      \
             - forbid: {{actions: [delete]}}\n      \
             - permit: {{principal: admin, actions: [create, read, update, delete]}}\n",
            providers(&issuer)
        ),
    )
    .unwrap();
    let stderr = refused_start(&config);
    assert!(
        stderr.contains("server.auth.access_policy[2].permit.principal"),
        "{stderr}"
    );
    assert!(stderr.contains("`api_keys`, `partners`"), "{stderr}");
    // Only rule 2 is wrong.
    assert!(!stderr.contains("access_policy[0]"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn one_key_in_two_api_keys_providers_stops_the_start() {
    let dir = scratch("shared-key");
    let config = dir.join("run.yaml");
    // The second provider holds the first's key by its SHA-256.
    let digest = "a4d26868017c0ccffe2efe50944ef4211834660cca834c6e9f86dec6a88246fa"; // sha256("shared")
    std::fs::write(
        &config,
        format!(
            "server:\n  auth:\n    providers:\n      \
             - {{type: api_keys, keys: [{{key: own, principal: a}}, {{key: shared, principal: b}}]}}\n      \
             - {{type: api_keys, name: partners, keys: [{{key_sha256: '{digest}', principal: c}}]}}\n"
        ),
    )
    .unwrap();
    let stderr = refused_start(&config);
    assert!(
        stderr.contains("server.auth.providers[1].keys[0]")
            && stderr.contains("server.auth.providers[0].keys[1]"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_admin_neither_is_nor_owns_as_the_key_admin() {
    let issuer = TestIssuer::start().await;
    let dir = scratch("ownership");
    let log = dir.join("decisions.jsonl");
    let config = dir.join("run.yaml");
    std::fs::write(
        &config,
        format!(
            "server:\n  metrics: {{address: '127.0.0.1:0'}}\n  auth:\n    decision_log: {{path: '{}'}}\n{}{OWNERS_POLICY}",
            log.display(),
            providers(&issuer)
        ),
    )
    .unwrap();
    let server = crate::metrics::start_at(&config);
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.api);
    let partner = partner_admin(&issuer);

    // Each is its provider's admin, never the other's.
    for (token, principal) in [(KEY_ADMIN, "api_keys:admin"), (&partner, "partners:admin")] {
        let body: Value = client
            .get(url("/v1/whoami"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["principal"], principal, "{body}");
    }

    // The key's admin registers a model: it owns it.
    let created = client
        .post(url("/v1/models"))
        .bearer_auth(KEY_ADMIN)
        .json(&json!({"model_id": "key-model"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 200);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["owner"], "api_keys:admin", "{created}");

    // The partner's admin can neither read it nor delete it, nor see it listed.
    let read = |token: &str| {
        client
            .get(url("/v1/models/key-model"))
            .bearer_auth(token.to_owned())
            .send()
    };
    assert_eq!(read(&partner).await.unwrap().status(), 403);
    let delete = client
        .delete(url("/v1/models/key-model"))
        .bearer_auth(&partner)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), 403);
    let listed: Value = client
        .get(url("/v1/models"))
        .bearer_auth(&partner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["data"], json!([]), "{listed}");
    // The owner still can.
    assert_eq!(read(KEY_ADMIN).await.unwrap().status(), 200);

    // Refusals name the provider that refused: a JWT claiming the partners'
    // issuer but signed by another key, and a token nobody could have issued.
    let forger = TestIssuer::start().await;
    let forged =
        forger.token(json!({"sub": "admin", "aud": "partner-api", "iss": issuer.issuer()}));
    assert_eq!(read(&forged).await.unwrap().status(), 401);
    assert_eq!(read("unknown-S3CRET-opaque").await.unwrap().status(), 401);

    let lines = decisions(&log, |l| {
        l["decision"] == "authentication" && l["provider"] == "(none)"
    })
    .await;
    let find = |what: &dyn Fn(&Value) -> bool| {
        lines
            .iter()
            .find(|l| what(l))
            .unwrap_or_else(|| panic!("not in {lines:#?}"))
            .clone()
    };
    let denied = find(&|l| {
        l["decision"] == "access_policy" && l["outcome"] == "denied" && l["action"] == "read"
    });
    assert_eq!(
        (&denied["principal"], &denied["provider"]),
        (&json!("partners:admin"), &json!("partners")),
        "{denied}"
    );
    let allowed = find(&|l| l["decision"] == "access_policy" && l["outcome"] == "allowed");
    assert_eq!(
        (&allowed["principal"], &allowed["provider"]),
        (&json!("api_keys:admin"), &json!("api_keys")),
        "{allowed}"
    );
    let forged = find(&|l| {
        l["decision"] == "authentication" && l["outcome"] == "denied" && l["provider"] == "partners"
    });
    assert!(forged["principal"].is_null(), "{forged}");
    let nobody = find(&|l| l["decision"] == "authentication" && l["provider"] == "(none)");
    assert_eq!(nobody["outcome"], "denied", "{nobody}");

    // The metrics likewise; "providers" labels nothing any more.
    let text = server
        .wait_for_metric(
            &client,
            r#"webmethod_auth_decisions_total{provider="(none)",outcome="denied"} 1"#,
        )
        .await;
    for needle in [
        r#"webmethod_auth_decisions_total{provider="partners",outcome="denied"} 1"#,
        r#"webmethod_auth_decisions_total{provider="partners",outcome="authenticated"}"#,
        r#"webmethod_auth_decisions_total{provider="api_keys",outcome="authenticated"}"#,
    ] {
        assert!(text.contains(needle), "no {needle} in\n{text}");
    }
    assert!(!text.contains(r#"provider="providers""#), "{text}");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_admin_spends_its_own_quota_not_the_key_admins() {
    let issuer = TestIssuer::start().await;
    let dir = scratch("quota");
    let config = dir.join("run.yaml");
    std::fs::write(
        &config,
        format!(
            "server:\n  quota: {{authenticated_max_requests: 3, anonymous_max_requests: 1000}}\n  auth:\n{}{OWNERS_POLICY}",
            providers(&issuer)
        ),
    )
    .unwrap();
    let server = Server::start(&["--config", config.to_str().unwrap()]);
    let client = reqwest::Client::new();
    let whoami = |token: String| {
        client
            .get(server.url("/v1/whoami"))
            .bearer_auth(token)
            .send()
    };
    let partner = partner_admin(&issuer);
    for _ in 0..3 {
        assert_eq!(whoami(partner.clone()).await.unwrap().status(), 200);
    }
    assert_eq!(whoami(partner.clone()).await.unwrap().status(), 429);
    // The key's admin has spent nothing yet.
    let key = whoami(KEY_ADMIN.to_owned()).await.unwrap();
    assert_eq!(key.status(), 200);
    assert_eq!(key.headers()["ratelimit-remaining"], "2");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_token_refused_on_a_public_route_is_logged_and_audited() {
    let dir = scratch("catalog");
    let log = dir.join("decisions.jsonl");
    let config = dir.join("run.yaml");
    let demo = include_str!("../../examples/server.yaml");
    std::fs::write(
        &config,
        demo.replacen(
            "  auth:\n",
            &format!("  auth:\n    decision_log: {{path: '{}'}}\n", log.display()),
            1,
        ),
    )
    .unwrap();
    let stderr_path = dir.join("stderr.log");
    let server = Server::start_logging(
        &["--config", config.to_str().unwrap()],
        &[("RUST_LOG", "info")],
        std::fs::File::create(&stderr_path).unwrap(),
    );
    let response = reqwest::Client::new()
        .get(server.url("/v1/catalog"))
        .bearer_auth("catalog-S3CRET-guess")
        .send()
        .await
        .unwrap();
    // Served, anonymously.
    assert_eq!(response.status(), 200);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert!(body["principal"].is_null(), "{body}");

    let lines = decisions(&log, |l| l["route"] == "/v1/catalog").await;
    let entry = lines
        .iter()
        .find(|l| l["route"] == "/v1/catalog" && l["decision"] == "authentication")
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert_eq!(
        (&entry["outcome"], &entry["reason"], &entry["provider"]),
        (
            &json!("denied"),
            &json!("Invalid API key"),
            &json!("api_keys")
        ),
        "{entry}"
    );
    assert_eq!(entry["request_id"], id.as_str());

    drop(server);
    let logs = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(!logs.contains("S3CRET"), "{logs}");
    let line = logs
        .lines()
        .find(|l| l.contains("route=\"/v1/catalog\"") && l.contains("outcome=\"denied\""))
        .unwrap_or_else(|| panic!("no INFO line for the refused token:\n{logs}"));
    assert!(line.contains("INFO"), "{line}");
    assert!(line.contains(&id), "{line}");
    assert!(line.contains("provider=\"api_keys\""), "{line}");
    let _ = std::fs::remove_dir_all(&dir);
}
