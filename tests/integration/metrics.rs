//! `server.metrics`: the demo server with its metrics on a listener of their
//! own; the exposition parsed as a scraper parses it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use crate::demo_server::server_binary;

/// The demo server with metrics on; the API's and the metrics' base URLs.
pub(crate) struct Running {
    child: Child,
    pub api: String,
    pub metrics: String,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// Sends SIGHUP, through the shell's own `kill` (no procps needed on a
    /// bare machine).
    pub(crate) fn hangup(&self) {
        let status = Command::new("sh")
            .args(["-c", &format!("kill -HUP {}", self.child.id())])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Scrapes the metrics until they hold `needle` (10 s at most); the text.
    pub(crate) async fn wait_for_metric(&self, client: &reqwest::Client, needle: &str) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let text = client
                .get(&self.metrics)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if text.contains(needle) {
                return text;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {needle} in the metrics:\n{text}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// The demo server with the config file at `path` (it must turn metrics on).
pub(crate) fn start_at(path: &std::path::Path) -> Running {
    let mut command = Command::new(server_binary());
    command
        .args(["--config", path.to_str().unwrap(), "--port", "0"])
        .stderr(Stdio::null());
    run(command)
}

/// The demo server with the config file at `path`, started by `sh` after
/// `ulimit <limit>` (`-n 256`: soft and hard; `-S -n 256`: soft only), its
/// logs written to `log`.
fn start_under_ulimit(path: &std::path::Path, limit: &str, log: &std::path::Path) -> Running {
    let mut command = Command::new("sh");
    command
        .args(["-c", &format!("ulimit {limit} && exec \"$0\" \"$@\"")])
        .arg(server_binary())
        .args(["--config", path.to_str().unwrap(), "--port", "0"])
        .stderr(std::fs::File::create(log).unwrap());
    run(command)
}

fn run(mut command: Command) -> Running {
    let mut child = command.stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut next = |prefix: &str| {
        let line = lines.next().unwrap().unwrap();
        line.strip_prefix(prefix)
            .unwrap_or_else(|| panic!("expected {prefix:?}, got {line:?}"))
            .to_owned()
    };
    let api = next("listening on ");
    let metrics = next("metrics on ");
    Running {
        child,
        api,
        metrics,
    }
}

/// The demo server with `config`.
fn start(config: &str) -> Running {
    let path = std::env::temp_dir().join(format!("webmethod-metrics-{}.yaml", std::process::id()));
    std::fs::write(&path, config).unwrap();
    start_at(&path)
}

const CONFIG: &str = "server:
  metrics: {address: '127.0.0.1:0'}
  quota: {anonymous_max_requests: 1000, authenticated_max_requests: 1000}
  auth:
    provider_config:
      type: api_keys
      keys:
        - {key: reader-key, principal: alice, attributes: {scopes: [models.read]}}
    route_policy:
      - forbid: {paths: '/v1/files*'}
      - permit: {paths: '*'}
";

/// One sample's value, by family and labels (all of them, exactly); 0 when
/// the family has no such sample.
fn value(
    scrape: &openmetrics_parser::MetricsExposition<
        openmetrics_parser::OpenMetricsType,
        openmetrics_parser::OpenMetricsValue,
    >,
    family: &str,
    labels: &[(&str, &str)],
) -> f64 {
    let Some(family) = scrape.families.get(family) else {
        return 0.0;
    };
    family
        .iter_samples()
        .find(|s| {
            let set = s.get_labelset().unwrap();
            set.iter_names().count() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| set.get_label_value(k) == Some(*v))
        })
        .map_or(0.0, |s| match &s.value {
            openmetrics_parser::OpenMetricsValue::Counter(c) => number(c.value),
            openmetrics_parser::OpenMetricsValue::Gauge(n)
            | openmetrics_parser::OpenMetricsValue::Unknown(n) => number(*n),
            _ => f64::NAN,
        })
}

fn number(n: openmetrics_parser::MetricNumber) -> f64 {
    match n {
        openmetrics_parser::MetricNumber::Float(f) => f,
        openmetrics_parser::MetricNumber::Int(i) => i as f64,
    }
}

#[tokio::test]
async fn metrics_count_requests_decisions_and_quota_with_bounded_labels() {
    let server = start(CONFIG);
    let client = reqwest::Client::new();
    let get = |path: &str, key: Option<&str>| {
        let mut request = client.get(format!("{}{path}", server.api));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get("/v1/health", None).await, 200);
    assert_eq!(get("/v1/models", None).await, 401);
    assert_eq!(get("/v1/models", Some("wrong-key")).await, 401);
    assert_eq!(get("/v1/models", Some("reader-key")).await, 200);
    assert_eq!(
        get("/v1/models/m-secret-name", Some("reader-key")).await,
        404
    );
    assert_eq!(get("/v1/no/such/path", Some("reader-key")).await, 404);
    assert_eq!(get("/v1/files/a/b", Some("reader-key")).await, 403);
    // The API port does not serve the metrics.
    assert_eq!(get("/metrics", Some("reader-key")).await, 404);

    let response = client
        .get(&server.metrics)
        .header("accept", "application/openmetrics-text")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
    );
    let text = response.text().await.unwrap();
    let scrape = openmetrics_parser::openmetrics::parse_openmetrics(&text)
        .unwrap_or_else(|e| panic!("{e:?}: {text}"));

    let requests = "webmethod_http_requests";
    for (route, status, count) in [
        ("/v1/health", "200", 1.0),
        ("/v1/models", "401", 2.0),
        ("/v1/models", "200", 1.0),
        // The template, never the raw path.
        ("/v1/models/{model_id}", "404", 1.0),
        // /v1/no/such/path and the API port's /metrics.
        ("<unmatched>", "404", 2.0),
        ("/v1/files/{*path}", "403", 1.0),
    ] {
        assert_eq!(
            value(
                &scrape,
                requests,
                &[("route", route), ("method", "GET"), ("status", status)]
            ),
            count,
            "{route} {status}\n{text}"
        );
    }
    let decisions = "webmethod_auth_decisions";
    assert_eq!(
        value(
            &scrape,
            decisions,
            &[("provider", "api_keys"), ("outcome", "authenticated")]
        ),
        5.0,
        "{text}"
    );
    assert_eq!(
        value(
            &scrape,
            decisions,
            &[("provider", "api_keys"), ("outcome", "denied")]
        ),
        2.0,
        "{text}"
    );
    assert_eq!(
        value(
            &scrape,
            "webmethod_policy_decisions",
            &[("policy", "route"), ("outcome", "denied")]
        ),
        1.0,
        "{text}"
    );
    assert!(
        value(
            &scrape,
            "webmethod_quota",
            &[("subject_kind", "address"), ("outcome", "admitted")]
        ) >= 7.0,
        "{text}"
    );
    assert!(
        value(
            &scrape,
            "webmethod_quota",
            &[("subject_kind", "principal"), ("outcome", "admitted")]
        ) >= 4.0,
        "{text}"
    );
    assert!(
        scrape
            .families
            .contains_key("webmethod_http_request_duration_seconds"),
        "{text}"
    );
    // Bounded labels: no key, no principal, no raw path.
    for secret in [
        "reader-key",
        "wrong-key",
        "alice",
        "m-secret-name",
        "/v1/no/such/path",
    ] {
        assert!(!text.contains(secret), "{secret} in\n{text}");
    }
}

#[test]
fn a_bad_metrics_address_stops_the_start() {
    let path =
        std::env::temp_dir().join(format!("webmethod-metrics-bad-{}.yaml", std::process::id()));
    std::fs::write(&path, "server:\n  metrics: {address: nowhere}\n").unwrap();
    let out = Command::new(server_binary())
        .args(["--config", path.to_str().unwrap(), "--port", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("server.metrics.address"), "{stderr}");
}

/// A config file of its own for one test; its path, and the path of a log
/// file beside it.
fn config_file(test: &str, config: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let base = std::env::temp_dir().join(format!("webmethod-{test}-{}", std::process::id()));
    let path = base.with_extension("yaml");
    std::fs::write(&path, config).unwrap();
    (path, base.with_extension("log"))
}

/// Connections that sent half a request head to `addr` and wait.
async fn half_open(addr: &str, count: usize) -> Vec<tokio::net::TcpStream> {
    use tokio::io::AsyncWriteExt;
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        socket
            .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        held.push(socket);
    }
    held
}

/// `host:port` of a base URL.
fn authority(url: &str) -> &str {
    let rest = url.split_once("://").unwrap().1;
    rest.split('/').next().unwrap()
}

#[tokio::test]
async fn metrics_connections_have_a_cap_of_their_own_and_never_starve_the_api() {
    // 256 open files for the whole process; the metrics listener's default
    // cap (64) keeps 600 clients holding half a request head from taking
    // them all (without a cap, accept fails with EMFILE on every port).
    let (path, log) = config_file(
        "metrics-cap",
        "server:\n  metrics: {address: '127.0.0.1:0'}\n  limits: {header_read_timeout: 5}\n",
    );
    let server = start_under_ulimit(&path, "-n 256", &log);
    let held = half_open(authority(&server.metrics), 600).await;
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .unwrap();
    for _ in 0..5 {
        let r = client
            .get(format!("{}/v1/health", server.api))
            .send()
            .await
            .unwrap_or_else(|e| panic!("the API stopped answering: {e}"));
        assert_eq!(r.status(), 200);
    }
    // Once they are gone, the metrics answer again.
    drop(held);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        match client.get(&server.metrics).send().await {
            Ok(r) if r.status() == 200 => break,
            other => assert!(
                std::time::Instant::now() < deadline,
                "the metrics do not answer again: {other:?}"
            ),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&log);
}

#[tokio::test]
async fn a_half_open_metrics_connection_is_closed_after_the_header_read_timeout() {
    use tokio::io::AsyncReadExt;
    let (path, _) = config_file(
        "metrics-timeout",
        "server:\n  metrics: {address: '127.0.0.1:0'}\n  limits: {header_read_timeout: 1}\n",
    );
    let server = start_at(&path);
    let started = std::time::Instant::now();
    let mut held = half_open(authority(&server.metrics), 1).await;
    let mut buf = [0u8; 512];
    // EOF, or hyper's 408 before it: either way the server ended it.
    let read =
        tokio::time::timeout(std::time::Duration::from_secs(10), held[0].read(&mut buf)).await;
    assert!(
        matches!(read, Ok(Ok(_))),
        "the connection is still open after 10 s"
    );
    assert!(started.elapsed() >= std::time::Duration::from_millis(900));
    let _ = std::fs::remove_file(&path);
}

#[tokio::test]
async fn a_low_open_file_limit_lowers_the_api_cap_with_a_warning() {
    let (path, log) = config_file(
        "metrics-nofile",
        "server:\n  metrics: {address: '127.0.0.1:0'}\n",
    );
    let server = start_under_ulimit(&path, "-n 256", &log);
    let r = reqwest::get(format!("{}/v1/health", server.api))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let logged = std::fs::read_to_string(&log).unwrap();
    let warning = logged
        .lines()
        .find(|l| l.contains("WARN") && l.contains("open-file limit"))
        .unwrap_or_else(|| panic!("no warning:\n{logged}"));
    // 256 - 64 (metrics) - 128 (reserve) = 64.
    for number in ["10000", "256", "at most 64 connections"] {
        assert!(warning.contains(number), "{number} not in {warning}");
    }
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&log);
}

/// The soft and hard `Max open files` of a process, from `/proc`.
#[cfg(target_os = "linux")]
fn open_file_limits(pid: &str) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap();
    let mut fields = line["Max open files".len()..].split_whitespace();
    (
        fields.next().unwrap().to_owned(),
        fields.next().unwrap().to_owned(),
    )
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn the_soft_open_file_limit_is_raised_to_the_hard_one() {
    let (_, hard) = open_file_limits("self");
    if hard.parse::<u64>().is_ok_and(|h| h <= 256) {
        return; // nothing to raise on this machine
    }
    let (path, log) = config_file(
        "metrics-raise",
        "server:\n  metrics: {address: '127.0.0.1:0'}\n",
    );
    let server = start_under_ulimit(&path, "-S -n 256", &log);
    let r = reqwest::get(format!("{}/v1/health", server.api))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (soft, child_hard) = open_file_limits(&server.child.id().to_string());
    assert_eq!(child_hard, hard);
    assert_eq!(soft, hard, "the soft limit was not raised");
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(!logged.contains("open-file limit"), "{logged}");
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(&log);
}

#[tokio::test]
async fn metrics_answer_classic_text_unless_the_scraper_takes_openmetrics() {
    let (path, _) = config_file(
        "metrics-formats",
        "server:\n  metrics: {address: '127.0.0.1:0'}\n",
    );
    let server = start_at(&path);
    let client = reqwest::Client::new();
    let health = client
        .get(format!("{}/v1/health", server.api))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let sample = r#"webmethod_http_requests_total{route="/v1/health",method="GET",status="200"} 1"#;
    server.wait_for_metric(&client, sample).await;
    let scrape = |accept: Option<&'static str>| {
        let mut request = client.get(&server.metrics);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        async move {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), 200);
            let content_type = r.headers()["content-type"].to_str().unwrap().to_owned();
            (content_type, r.text().await.unwrap())
        }
    };

    // A Prometheus server's Accept: OpenMetrics.
    let (content_type, text) = scrape(Some(
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    ))
    .await;
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    let open = openmetrics_parser::openmetrics::parse_openmetrics(&text)
        .unwrap_or_else(|e| panic!("{e:?}: {text}"));
    assert_eq!(
        value(
            &open,
            "webmethod_http_requests",
            &[
                ("route", "/v1/health"),
                ("method", "GET"),
                ("status", "200")
            ]
        ),
        1.0,
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"), "{text}");

    // Accept without OpenMetrics, `*/*`, or none: the classic text format.
    for accept in [Some("text/plain;version=0.0.4"), Some("*/*"), None] {
        let (content_type, text) = scrape(accept).await;
        assert_eq!(
            content_type, "text/plain; version=0.0.4; charset=utf-8",
            "{accept:?}"
        );
        assert!(!text.contains("# EOF"), "{text}");
        assert!(!text.contains("_created"), "{text}");
        assert!(
            text.contains("# TYPE webmethod_http_requests_total counter\n"),
            "{text}"
        );
        let classic = openmetrics_parser::prometheus::parse_prometheus(&text)
            .unwrap_or_else(|e| panic!("{accept:?} {e:?}: {text}"));
        let family = classic
            .families
            .get("webmethod_http_requests_total")
            .unwrap_or_else(|| panic!("{text}"));
        let health = family
            .iter_samples()
            .find(|s| {
                let set = s.get_labelset().unwrap();
                set.get_label_value("route") == Some("/v1/health")
                    && set.get_label_value("status") == Some("200")
            })
            .unwrap_or_else(|| panic!("{text}"));
        match &health.value {
            openmetrics_parser::PrometheusValue::Counter(c) => {
                assert_eq!(number(c.value), 1.0, "{text}")
            }
            other => panic!("not a counter: {other:?}"),
        }
    }
    let _ = std::fs::remove_file(&path);
}
