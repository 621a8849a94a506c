//! `server.auth.decision_log`: one JSON line per decision of the demo server,
//! with the request's id; never a token.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::demo_server::Server;

#[tokio::test]
async fn every_decision_is_one_json_line_with_its_request_id() {
    let dir = std::env::temp_dir().join(format!("webmethod-decisions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("decisions.jsonl");
    let config = dir.join("run.yaml");
    // The demo's own config, with the decision log on.
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
    let server = Server::start(&["--config", config.to_str().unwrap()]);
    let client = reqwest::Client::new();
    let get = |path: &str, key: &str| client.get(server.url(path)).bearer_auth(key).send();
    let denied = get("/v1/models", "S3CRET-not-a-key").await.unwrap();
    assert_eq!(denied.status(), 401);
    let denied_id = denied.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        get("/v1/models/llama-3.2-3b", "demo-user-key")
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        get("/v1/files/x", "demo-user-key").await.unwrap().status(),
        403
    );

    // Written off the request's path: wait for the writer.
    let deadline = Instant::now() + Duration::from_secs(5);
    let lines: Vec<Value> = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        if lines
            .iter()
            .any(|l| l["decision"] == "route_policy" && l["outcome"] == "denied")
        {
            assert!(!text.contains("S3CRET"), "{text}");
            assert!(!text.contains("demo-user-key"), "{text}");
            break lines;
        }
        assert!(Instant::now() < deadline, "{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let find = |decision: &str, outcome: &str| {
        lines
            .iter()
            .find(|l| l["decision"] == decision && l["outcome"] == outcome)
            .unwrap_or_else(|| panic!("no {decision} {outcome} in {lines:#?}"))
    };
    let auth = find("authentication", "denied");
    assert_eq!(auth["request_id"], denied_id.as_str());
    assert_eq!(auth["route"], "/v1/models");
    assert_eq!(auth["method"], "GET");
    assert_eq!(auth["reason"], "Invalid API key");
    assert!(auth["time"].as_str().unwrap().ends_with('Z'));

    let access = find("access_policy", "allowed");
    assert_eq!(access["principal"], "alice");
    assert_eq!(access["action"], "read");
    assert_eq!(access["resource"], "model::llama-3.2-3b");
    assert_eq!(access["route"], "/v1/models/{model_id}");
    assert!(access["rule"].is_u64(), "{access}");
    assert!(access["request_id"].is_string());

    let route = find("route_policy", "denied");
    assert_eq!(route["rule"], 1);
    assert_eq!(route["description"], "files are for admins");
    assert_eq!(route["principal"], "alice");
    let _ = std::fs::remove_dir_all(&dir);
}
