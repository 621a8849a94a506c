//! One span per request and its `x-request-id`: made here, or taken from a
//! trusted proxy; echoed on the answer and on every log line of the request.

use auth_runtime::{AuthenticatedUser, webmethod};

#[webmethod(route = "/traced/me", method = "GET", level = "v1")]
async fn traced_me(user: AuthenticatedUser) -> String {
    user.principal.clone()
}

const KEYS: &str = "    provider_config: {type: api_keys, keys: [{key: k1, principal: alice}]}\n";

async fn serve(quota: &str) -> String {
    let yaml = format!("server:\n{quota}  auth:\n{KEYS}");
    let config = auth_runtime::config::Config::parse(&yaml, "test", &|_| None).unwrap();
    let router = auth_runtime::RouterBuilder::new()
        .entries(crate::support::entries_of(module_path!()))
        .security(auth_runtime::Security::from_config(&config).unwrap())
        .build()
        .unwrap()
        .router;
    crate::support::serve_with_peers(router).await
}

async fn id_of(base: &str, path: &str, sent: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth("k1");
    if let Some(sent) = sent {
        request = request.header("x-request-id", sent);
    }
    let response = request.send().await.unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    (response.status().as_u16(), id)
}

#[tokio::test]
async fn every_answer_carries_an_id_a_trusted_proxy_may_set() {
    // No trusted proxy: a client's id is never taken.
    let base = serve("").await;
    let (status, first) = id_of(&base, "/v1/traced/me", Some("client-chosen")).await;
    assert_eq!(status, 200);
    assert_ne!(first, "client-chosen");
    let (_, second) = id_of(&base, "/v1/traced/me", None).await;
    assert_ne!(first, second);
    // Unmatched requests and refusals carry one too.
    assert_eq!(id_of(&base, "/v1/nowhere", None).await.0, 404);

    // From a trusted proxy, its id is the request's, if it is sane.
    let base = serve("  quota: {trusted_proxies: [127.0.0.1/32]}\n").await;
    assert_eq!(
        id_of(&base, "/v1/traced/me", Some("proxy-id.42")).await.1,
        "proxy-id.42"
    );
    let (_, made) = id_of(&base, "/v1/traced/me", Some("two words")).await;
    assert_ne!(made, "two words");
    assert!(!made.is_empty());
}

#[tokio::test]
async fn of_two_ids_from_a_trusted_proxy_the_last_is_taken() {
    // A proxy that appends its own id after the client's.
    let base = serve("  quota: {trusted_proxies: [127.0.0.1/32]}\n").await;
    let sent = |ids: &'static [&'static str]| {
        let mut request = reqwest::Client::new()
            .get(format!("{base}/v1/traced/me"))
            .bearer_auth("k1");
        for id in ids {
            request = request.header("x-request-id", *id);
        }
        async move {
            let response = request.send().await.unwrap();
            response.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned()
        }
    };
    assert_eq!(sent(&["client-chosen", "proxy-made"]).await, "proxy-made");
    // The proxy's id not sane: one made here, never the client's.
    let made = sent(&["client-chosen", "proxy made"]).await;
    assert_ne!(made, "client-chosen");
    assert_eq!(made.len(), 24);
}

/// The demo server's log lines of a request carry its id.
#[tokio::test]
async fn the_request_id_is_on_every_log_line_of_the_request() {
    let dir = std::env::temp_dir().join(format!("webmethod-request-id-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log_path = dir.join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = crate::demo_server::Server::start_logging(&[], &[("RUST_LOG", "info")], log);
    let response = reqwest::Client::new()
        .get(server.url("/v1/models"))
        .bearer_auth("not-a-demo-key")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    drop(server);
    let logs = std::fs::read_to_string(&log_path).unwrap();
    let denied: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("outcome=\"denied\"") || l.contains("outcome=denied"))
        .collect();
    assert!(!denied.is_empty(), "{logs}");
    for line in denied {
        assert!(line.contains(&id), "no request id {id} in {line}");
        assert!(line.contains("route=\"/v1/models\""), "{line}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
