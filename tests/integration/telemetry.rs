//! Telemetry passed, not global: each router counts in its own metrics and
//! writes its own decision log (`server.metrics`, `server.auth.decision_log`),
//! so two routers of one process never see each other's counts or lines.

use std::path::Path;
use std::time::{Duration, Instant};

use auth_runtime::{AuthenticatedUser, RouterBuilder, Security, webmethod};
use axum::Router;
use serde_json::Value;

use crate::support::{entries_of, send};

#[webmethod(route = "/telemetry/whoami", method = "GET", level = "v1")]
async fn whoami(user: AuthenticatedUser) -> String {
    user.principal.clone()
}

/// A router of this module's route behind `yaml`'s security, and the
/// metrics that security carries (when on).
fn router(yaml: &str) -> (Router, Option<Router>) {
    let config = auth_runtime::config::Config::parse(yaml, "test", &|_| None)
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let security = Security::from_config(&config).unwrap_or_else(|e| panic!("{e}"));
    let metrics = security.metrics_router();
    let router = RouterBuilder::new()
        .entries(entries_of(module_path!()))
        .security(security)
        .build()
        .unwrap_or_else(|e| panic!("{e}"))
        .router;
    (router, metrics)
}

/// The exposition a scraper gets from a security's `/metrics` router.
async fn scrape(metrics: &Router) -> String {
    use tower::ServiceExt;
    let request = axum::http::Request::get("/metrics")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = metrics.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8(body.to_vec()).unwrap()
}

/// An api_keys config with one key, `metrics` on or off, and a decision log
/// at `log` when given.
fn config(key: &str, principal: &str, metrics: bool, log: Option<&Path>) -> String {
    let mut yaml = String::from("server:\n");
    if metrics {
        yaml.push_str("  metrics: {address: '127.0.0.1:0'}\n");
    }
    yaml.push_str("  auth:\n");
    if let Some(log) = log {
        yaml.push_str(&format!(
            "    decision_log: {{path: '{}'}}\n",
            log.display()
        ));
    }
    yaml.push_str(&format!(
        "    provider_config:\n      type: api_keys\n      keys:\n        - {{key: {key}, principal: {principal}}}\n"
    ));
    yaml
}

/// The decision log's lines, once it holds at least `count` (the writer is
/// a thread of its own; 10 s at most).
fn lines(log: &Path, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        if lines.len() >= count || Instant::now() > deadline {
            assert!(
                lines.len() >= count,
                "{} holds {} lines, not {count}:\n{text}",
                log.display(),
                lines.len()
            );
            return lines;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A counter's value in an exposition (0 when the series is absent).
fn sample(text: &str, series: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn two_routers_in_one_process_keep_their_own_metrics_and_decision_logs() {
    let dir = std::env::temp_dir().join(format!("webmethod-telemetry-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (log_a, log_b) = (dir.join("a.jsonl"), dir.join("b.jsonl"));
    for log in [&log_a, &log_b] {
        let _ = std::fs::remove_file(log);
    }
    let (a, metrics_a) = router(&config("a-key", "alice", true, Some(&log_a)));
    let (b, metrics_b) = router(&config("b-key", "bob", true, Some(&log_b)));
    // A third with both off: it counts and logs nowhere.
    let (c, metrics_c) = router(&config("c-key", "carol", false, None));
    assert!(metrics_c.is_none());
    let (metrics_a, metrics_b) = (
        metrics_a.expect("server.metrics is set"),
        metrics_b.expect("server.metrics is set"),
    );

    let get = |router: &Router, key: &str| {
        let (router, auth) = (router.clone(), format!("Bearer {key}"));
        async move {
            send(
                &router,
                "GET",
                "/v1/telemetry/whoami",
                &[("authorization", &auth)],
            )
            .await
            .status()
        }
    };
    // Two requests to A (one accepted, one refused), one to B, one to C.
    assert_eq!(get(&a, "a-key").await, 200);
    assert_eq!(get(&a, "b-key").await, 401);
    assert_eq!(get(&b, "b-key").await, 200);
    assert_eq!(get(&c, "c-key").await, 200);

    let authenticated =
        r#"webmethod_auth_decisions_total{provider="api_keys",outcome="authenticated"}"#;
    let denied = r#"webmethod_auth_decisions_total{provider="api_keys",outcome="denied"}"#;
    let answered = |status: u16| {
        format!(
            r#"webmethod_http_requests_total{{route="/v1/telemetry/whoami",method="GET",status="{status}"}}"#
        )
    };
    let (text_a, text_b) = (scrape(&metrics_a).await, scrape(&metrics_b).await);
    assert_eq!(sample(&text_a, authenticated), 1, "{text_a}");
    assert_eq!(sample(&text_a, denied), 1, "{text_a}");
    assert_eq!(sample(&text_a, &answered(200)), 1, "{text_a}");
    assert_eq!(sample(&text_a, &answered(401)), 1, "{text_a}");
    assert_eq!(sample(&text_b, authenticated), 1, "{text_b}");
    assert_eq!(sample(&text_b, denied), 0, "{text_b}");
    assert_eq!(sample(&text_b, &answered(200)), 1, "{text_b}");
    assert_eq!(sample(&text_b, &answered(401)), 0, "{text_b}");

    // Each log holds its own router's decisions, and only those.
    let in_a = lines(&log_a, 2);
    let in_b = lines(&log_b, 1);
    // One more request to B, then A's log is read again: still A's two.
    assert_eq!(get(&b, "a-key").await, 401);
    let in_b_after = lines(&log_b, 2);
    let principals = |lines: &[Value]| -> Vec<String> {
        lines
            .iter()
            .map(|l| format!("{}:{}", l["outcome"], l["principal"]))
            .collect()
    };
    assert_eq!(
        principals(&in_a),
        [r#""authenticated":"alice""#, r#""denied":null"#]
    );
    assert_eq!(principals(&in_b), [r#""authenticated":"bob""#]);
    assert_eq!(
        principals(&in_b_after),
        [r#""authenticated":"bob""#, r#""denied":null"#]
    );
    assert_eq!(
        std::fs::read_to_string(&log_a).unwrap().lines().count(),
        2,
        "B's refusal is not in A's log"
    );
    assert_eq!(
        sample(&scrape(&metrics_a).await, denied),
        1,
        "B's refusal is not in A's counts"
    );
    assert_eq!(sample(&scrape(&metrics_b).await, denied), 1);
}
