//! Transport: HTTPS and mutual TLS with certificates made here and a real
//! TLS client, TLS config mistakes that stop the start, and slowloris
//! clients that neither exhaust the server nor stay connected.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use auth_runtime::Settings;
use auth_runtime::config::Config;
use auth_runtime::{AuthenticatedUser, webmethod};
use axum::Json;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[webmethod(
    route = "/transport/health",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn transport_health() -> Json<Value> {
    Json(json!({"status": "OK"}))
}

#[webmethod(
    route = "/transport/echo",
    method = "POST",
    level = "v1",
    require_authentication = false
)]
async fn transport_echo(Json(body): Json<Value>) -> Json<Value> {
    Json(body)
}

#[webmethod(route = "/transport/whoami", method = "GET", level = "v1")]
async fn transport_whoami(user: AuthenticatedUser) -> Json<Value> {
    Json(json!({"principal": user.principal}))
}

/// A CA, and a certificate it signed for 127.0.0.1 (server) or a client, as PEM.
struct Pki {
    ca: String,
    ca_issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl Pki {
    fn new(name: &str) -> Pki {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let ca = params.self_signed(&key).unwrap().pem();
        Pki {
            ca,
            ca_issuer: Issuer::new(params, key),
        }
    }

    /// (certificate, key) for `names`.
    fn issue(&self, names: &[&str], client: bool) -> (String, String) {
        use rcgen::{CertificateParams, ExtendedKeyUsagePurpose, KeyPair};
        let key = KeyPair::generate().unwrap();
        let mut params =
            CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .unwrap();
        params.extended_key_usages = vec![if client {
            ExtendedKeyUsagePurpose::ClientAuth
        } else {
            ExtendedKeyUsagePurpose::ServerAuth
        }];
        let cert = params.signed_by(&key, &self.ca_issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// A directory of its own for one test's files.
fn dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("webmethod-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

const KEYS: &str = "    provider_config:\n      type: api_keys\n      keys:\n        - {key: good-key, principal: alice}\n";

/// Serves this module's routes as `App::serve` does, with the transport of
/// `yaml`; returns the address.
async fn serve(yaml: &str) -> std::net::SocketAddr {
    let config = Config::parse(yaml, "test", &|_| None).unwrap();
    let settings = Settings::from_config(&config).unwrap_or_else(|e| panic!("{e}"));
    let router = auth_runtime::RouterBuilder::new()
        .entries(crate::support::entries_of(module_path!()))
        .security(auth_runtime::Security::from_config(&config).unwrap())
        .build()
        .unwrap()
        .router;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let transport = settings.transport().clone();
    tokio::spawn(async move {
        transport
            .serve(listener, router, std::future::pending())
            .await
    });
    addr
}

fn client(ca: &str, identity: Option<(&str, &str)>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .tls_certs_only(reqwest::Certificate::from_pem_bundle(ca.as_bytes()).unwrap())
        .timeout(Duration::from_secs(5));
    if let Some((cert, key)) = identity {
        builder = builder
            .identity(reqwest::Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn https_only_with_the_configured_certificate() {
    let pki = Pki::new("server CA");
    let (cert, key) = pki.issue(&["127.0.0.1", "localhost"], false);
    let d = dir("https");
    let yaml = format!(
        "server:\n  tls_certfile: {}\n  tls_keyfile: {}\n  auth:\n{KEYS}",
        write(&d, "cert.pem", &cert),
        write(&d, "key.pem", &key)
    );
    let addr = serve(&yaml).await;
    let https = client(&pki.ca, None);
    let r = https
        .get(format!("https://{addr}/v1/transport/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Bearer authentication applies over TLS as ever.
    let r = https
        .get(format!("https://{addr}/v1/transport/whoami"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = https
        .get(format!("https://{addr}/v1/transport/whoami"))
        .bearer_auth("good-key")
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["principal"], "alice");
    // Plain HTTP on that port gets no answer.
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    assert!(
        plain
            .get(format!("http://{addr}/v1/transport/health"))
            .send()
            .await
            .is_err()
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[tokio::test]
async fn mutual_tls_requires_a_client_certificate_from_the_ca() {
    let servers = Pki::new("server CA");
    let clients = Pki::new("client CA");
    let strangers = Pki::new("another CA");
    let (cert, key) = servers.issue(&["127.0.0.1"], false);
    let d = dir("mtls");
    let yaml = format!(
        "server:\n  tls_certfile: {}\n  tls_keyfile: {}\n  tls_cafile: {}\n  auth:\n{KEYS}",
        write(&d, "cert.pem", &cert),
        write(&d, "key.pem", &key),
        write(&d, "clients.pem", &clients.ca)
    );
    let addr = serve(&yaml).await;
    let url = format!("https://{addr}/v1/transport/whoami");

    let (client_cert, client_key) = clients.issue(&["client.test"], true);
    let trusted = client(&servers.ca, Some((&client_cert, &client_key)));
    // A client certificate is not a bearer token: still 401 without one.
    assert_eq!(trusted.get(&url).send().await.unwrap().status(), 401);
    let r = trusted
        .get(&url)
        .bearer_auth("good-key")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // No certificate, or one from another CA: no TLS session at all.
    assert!(
        client(&servers.ca, None)
            .get(&url)
            .bearer_auth("good-key")
            .send()
            .await
            .is_err()
    );
    let (other_cert, other_key) = strangers.issue(&["client.test"], true);
    let stranger = client(&servers.ca, Some((&other_cert, &other_key)));
    assert!(
        stranger
            .get(&url)
            .bearer_auth("good-key")
            .send()
            .await
            .is_err()
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn tls_mistakes_stop_the_start_naming_the_field() {
    let pki = Pki::new("CA");
    let (cert, key) = pki.issue(&["127.0.0.1"], false);
    let (_, other_key) = pki.issue(&["127.0.0.1"], false);
    let d = dir("tls-errors");
    let cert = write(&d, "cert.pem", &cert);
    let key = write(&d, "key.pem", &key);
    let other_key = write(&d, "other-key.pem", &other_key);
    let junk = write(&d, "junk.pem", "not a certificate\n");
    let missing = d.join("missing.pem").display().to_string();
    for (server, field) in [
        (format!("  tls_certfile: {cert}\n"), "server.tls_keyfile"),
        (format!("  tls_keyfile: {key}\n"), "server.tls_certfile"),
        (
            format!("  tls_certfile: {missing}\n  tls_keyfile: {key}\n"),
            "server.tls_certfile",
        ),
        (
            format!("  tls_certfile: {junk}\n  tls_keyfile: {key}\n"),
            "server.tls_certfile",
        ),
        (
            format!("  tls_certfile: {cert}\n  tls_keyfile: {junk}\n"),
            "server.tls_keyfile",
        ),
        (
            format!("  tls_certfile: {cert}\n  tls_keyfile: {missing}\n"),
            "server.tls_keyfile",
        ),
        (
            format!("  tls_certfile: {cert}\n  tls_keyfile: {other_key}\n"),
            "server.tls_keyfile",
        ),
        (
            format!("  tls_certfile: {cert}\n  tls_keyfile: {key}\n  tls_cafile: {junk}\n"),
            "server.tls_cafile",
        ),
        (format!("  tls_cafile: {cert}\n"), "server.tls_cafile"),
        (
            "  limits: {header_read_timeout: 0}\n".to_owned(),
            "server.limits.header_read_timeout",
        ),
        (
            "  limits: {max_connections: 0}\n".to_owned(),
            "server.limits.max_connections",
        ),
    ] {
        let config = Config::parse(&format!("server:\n{server}"), "test", &|_| None).unwrap();
        let error = match Settings::from_config(&config) {
            Ok(_) => panic!("accepted:\n{server}"),
            Err(e) => e.to_string(),
        };
        assert!(error.contains(field), "{server}: {error}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[tokio::test]
async fn slowloris_connections_neither_block_the_server_nor_stay() {
    let addr = serve("server:\n  limits: {header_read_timeout: 2}\n").await;
    // 3,000 clients that send half a request head and wait.
    let mut held = Vec::new();
    for _ in 0..3_000 {
        let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        socket
            .write_all(b"GET /v1/transport/health HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        held.push(socket);
    }
    let started = Instant::now();
    let r = reqwest::Client::new()
        .get(format!("http://{addr}/v1/transport/health"))
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(2));
    // Each held connection is closed by the server within the header timeout
    // (counted from its start; allow scheduling).
    let deadline = Instant::now() + Duration::from_secs(4);
    let mut closed = 0;
    for socket in &mut held {
        let left = deadline.saturating_duration_since(Instant::now());
        let mut buf = [0u8; 512];
        if let Ok(Ok(_)) = tokio::time::timeout(left, socket.read(&mut buf)).await {
            closed += 1; // EOF, or the server's 408 before it
        }
    }
    assert_eq!(closed, held.len(), "connections the server kept open");
}

#[tokio::test]
async fn request_bodies_over_the_limit_are_refused() {
    let addr = serve("server:\n  limits: {max_request_body_bytes: 100}\n").await;
    let client = reqwest::Client::new();
    let url = format!("http://{addr}/v1/transport/echo");
    let small = json!({"a": "b"});
    let r = client.post(&url).json(&small).send().await.unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), small);
    let big = json!({"a": "b".repeat(1000)});
    let r = client.post(&url).json(&big).send().await.unwrap();
    assert_eq!(r.status(), 413);
}

/// An OPTIONS preflight (or a GET) with `Origin`; status and CORS headers.
async fn cors_request(
    addr: std::net::SocketAddr,
    method: reqwest::Method,
    path: &str,
    origin: &str,
    preflight: bool,
) -> (u16, reqwest::header::HeaderMap) {
    let mut request = reqwest::Client::new()
        .request(method, format!("http://{addr}{path}"))
        .header("origin", origin);
    if preflight {
        request = request
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization");
    }
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.headers().clone())
}

#[tokio::test]
async fn cors_preflights_are_answered_outside_the_pipeline() {
    let yaml = format!(
        "server:\n  cors:\n    allow_origins: ['https://app.example']\n    allow_methods: [GET, POST]\n    allow_headers: [Authorization]\n    expose_headers: [RateLimit-Remaining]\n    max_age: 60\n  auth:\n{KEYS}"
    );
    let addr = serve(&yaml).await;
    let whoami = "/v1/transport/whoami";
    // A preflight from an allowed origin, without credentials: answered, no handler.
    let (status, headers) = cors_request(
        addr,
        reqwest::Method::OPTIONS,
        whoami,
        "https://app.example",
        true,
    )
    .await;
    assert!((200..300).contains(&status), "{status}");
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example"
    );
    assert!(
        headers["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("GET")
    );
    assert_eq!(headers["access-control-max-age"], "60");
    // The actual request is authenticated; its 401 carries the CORS headers.
    let (status, headers) = cors_request(
        addr,
        reqwest::Method::GET,
        whoami,
        "https://app.example",
        false,
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example"
    );
    assert!(headers.contains_key("access-control-expose-headers"));
    // Another origin gets no Access-Control-Allow-Origin.
    for preflight in [true, false] {
        let method = if preflight {
            reqwest::Method::OPTIONS
        } else {
            reqwest::Method::GET
        };
        let (_, headers) =
            cors_request(addr, method, whoami, "https://evil.example", preflight).await;
        assert!(
            !headers.contains_key("access-control-allow-origin"),
            "{headers:?}"
        );
    }
}

#[tokio::test]
async fn cors_true_is_llama_stacks_development_default() {
    let addr = serve(&format!("server:\n  cors: true\n  auth:\n{KEYS}")).await;
    let path = "/v1/transport/whoami";
    for origin in ["http://localhost:3000", "https://localhost:8443"] {
        let (status, headers) =
            cors_request(addr, reqwest::Method::OPTIONS, path, origin, true).await;
        assert!((200..300).contains(&status), "{origin}: {status}");
        assert_eq!(headers["access-control-allow-origin"], origin);
    }
    for origin in [
        "http://localhost.evil.example:3000",
        "http://example.com",
        "http://localhost:3000.evil",
    ] {
        let (_, headers) = cors_request(addr, reqwest::Method::OPTIONS, path, origin, true).await;
        assert!(
            !headers.contains_key("access-control-allow-origin"),
            "{origin}"
        );
    }
}

#[tokio::test]
async fn without_cors_no_header_and_options_stays_401() {
    let addr = serve(&format!("server:\n  auth:\n{KEYS}")).await;
    let (status, headers) = cors_request(
        addr,
        reqwest::Method::OPTIONS,
        "/v1/transport/whoami",
        "http://localhost:3000",
        true,
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        !headers
            .keys()
            .any(|k| k.as_str().starts_with("access-control-")),
        "{headers:?}"
    );
}

#[test]
fn cors_mistakes_stop_the_start() {
    for (cors, field) in [
        (
            "{allow_origins: ['*'], allow_credentials: true}",
            "server.cors.allow_origins",
        ),
        (
            "{allow_origin_regex: '('}",
            "server.cors.allow_origin_regex",
        ),
        ("{allow_methods: ['GE T']}", "server.cors.allow_methods[0]"),
        ("{allow_origins: [x], allow_originz: [y]}", "server.cors"),
    ] {
        let config =
            Config::parse(&format!("server:\n  cors: {cors}\n"), "test", &|_| None).unwrap();
        let error = match Settings::from_config(&config) {
            Ok(_) => panic!("accepted: {cors}"),
            Err(e) => e.to_string(),
        };
        assert!(error.contains(field), "{cors}: {error}");
    }
    // Credentials with listed origins and wildcard headers: fine (mirrored).
    let config = Config::parse(
        "server:\n  cors: {allow_origins: ['https://a.example'], allow_headers: ['*'], allow_credentials: true}\n",
        "test",
        &|_| None,
    )
    .unwrap();
    assert!(Settings::from_config(&config).is_ok());
}

/// Reads from `socket` until a whole response head came, the connection
/// ended (what was read, maybe nothing); a panic after `within`.
async fn read_answer(socket: &mut tokio::net::tcp::OwnedReadHalf, within: Duration) -> String {
    let deadline = Instant::now() + within;
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "no answer within {within:?}: {:?}",
                String::from_utf8_lossy(&answer)
            ),
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_request_body_that_stalls_or_trickles_is_cut_by_the_body_read_timeout() {
    let addr = serve("server:\n  limits: {body_read_timeout: 1}\n").await;
    let head = "POST /v1/transport/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"a\": \"";

    // Half a body, then nothing: 408 once the timeout has passed, and closed.
    let started = Instant::now();
    let socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = socket.into_split();
    write.write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut read, Duration::from_secs(15)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(started.elapsed() >= Duration::from_millis(900));
    let mut rest = Vec::new();
    let end = tokio::time::timeout(Duration::from_secs(5), read.read_to_end(&mut rest)).await;
    assert!(matches!(end, Ok(Ok(_))), "the connection stayed open");

    // A byte every 100 ms, which no idle timeout would ever cut: cut too.
    let started = Instant::now();
    let socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = socket.into_split();
    write.write_all(head.as_bytes()).await.unwrap();
    let trickle = tokio::spawn(async move {
        for _ in 0..300 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if write.write_all(b"x").await.is_err() {
                break;
            }
        }
    });
    // The server closes with trickled bytes unread, which may reset the
    // connection before its answer is read: the answer, if any, is a 408.
    let answer = read_answer(&mut read, Duration::from_secs(15)).await;
    trickle.abort();
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_content_length_over_the_limit_is_refused_before_the_body_is_read() {
    let addr = serve(&format!(
        "server:\n  limits: {{max_request_body_bytes: 100}}\n  auth:\n{KEYS}"
    ))
    .await;
    // Nothing of the body is ever sent: the answer cannot wait for it. On a
    // route needing a token too: the transport answers before the pipeline.
    for head in [
        "POST /v1/transport/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n",
        "GET /v1/transport/whoami HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n",
    ] {
        let socket = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut read, mut write) = socket.into_split();
        write.write_all(head.as_bytes()).await.unwrap();
        let answer = read_answer(&mut read, Duration::from_secs(5)).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{head:?}: {answer:?}");
    }
    // At the limit, the handler reads it.
    let body = format!("{{\"a\": \"{}\"}}", "b".repeat(100 - 9));
    assert_eq!(body.len(), 100);
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/v1/transport/echo"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn failed_tls_handshakes_are_logged_once_per_peer_and_reason() {
    let servers = Pki::new("server CA");
    let clients = Pki::new("client CA");
    let strangers = Pki::new("another CA");
    let (cert, key) = servers.issue(&["127.0.0.1"], false);
    let d = dir("tls-log");
    let config = write(
        &d,
        "config.yaml",
        &format!(
            "server:\n  tls_certfile: {}\n  tls_keyfile: {}\n  tls_cafile: {}\n",
            write(&d, "cert.pem", &cert),
            write(&d, "key.pem", &key),
            write(&d, "clients.pem", &clients.ca)
        ),
    );
    let log = d.join("server.log");
    let server = crate::demo_server::Server::start_logging(
        &["--config", &config],
        &[],
        std::fs::File::create(&log).unwrap(),
    );
    let url = server.url("/v1/health");
    let (stranger_cert, stranger_key) = strangers.issue(&["client.test"], true);
    let (client_cert, client_key) = clients.issue(&["client.test"], true);
    // Three times without a certificate, three times with one the CA did
    // not sign; a new client each time, so each is a new handshake.
    for _ in 0..3 {
        let no_certificate = client(&servers.ca, None);
        assert!(no_certificate.get(&url).send().await.is_err());
        let stranger = client(&servers.ca, Some((&stranger_cert, &stranger_key)));
        assert!(stranger.get(&url).send().await.is_err());
    }
    // The client CA's certificate still gets through, with nothing logged.
    let trusted = client(&servers.ca, Some((&client_cert, &client_key)));
    assert_eq!(trusted.get(&url).send().await.unwrap().status(), 200);

    let failures = |logged: &str| -> Vec<String> {
        logged
            .lines()
            .filter(|l| l.contains("TLS handshake failed"))
            .map(str::to_owned)
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while failures(&std::fs::read_to_string(&log).unwrap()).len() < 2 {
        assert!(Instant::now() < deadline, "no warnings logged");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every failed handshake has been answered: nothing more is coming.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let logged = std::fs::read_to_string(&log).unwrap();
    let lines = failures(&logged);
    assert_eq!(lines.len(), 2, "{logged}");
    for line in &lines {
        assert!(line.contains("WARN"), "{line}");
        assert!(line.contains("peer=127.0.0.1:"), "{line}");
        assert!(line.contains("reason="), "{line}");
    }
    assert!(
        lines.iter().any(|l| l.contains("no certificates")),
        "{logged}"
    );
    assert!(
        lines.iter().any(|l| l.contains("UnknownIssuer")),
        "{logged}"
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn body_timeout_and_metrics_cap_are_checked_naming_the_field() {
    for (server, field) in [
        (
            "  limits: {body_read_timeout: 0}\n",
            "server.limits.body_read_timeout",
        ),
        (
            "  limits: {body_read_timeout: -1}\n",
            "server.limits.body_read_timeout",
        ),
        (
            "  limits: {body_read_timeout: 3601}\n",
            "server.limits.body_read_timeout",
        ),
        (
            "  metrics: {address: '127.0.0.1:0', max_connections: 0}\n",
            "server.metrics.max_connections",
        ),
    ] {
        let error = match Config::parse(&format!("server:\n{server}"), "test", &|_| None)
            .map_err(|e| e.to_string())
            .and_then(|config| Settings::from_config(&config).map_err(|e| e.to_string()))
        {
            Ok(_) => panic!("accepted:\n{server}"),
            Err(e) => e,
        };
        assert!(error.contains(field), "{server}: {error}");
    }
    let config = Config::parse(
        "server:\n  limits: {body_read_timeout: 2.5}\n  metrics: {address: '127.0.0.1:0', max_connections: 8}\n",
        "test",
        &|_| None,
    )
    .unwrap();
    let limits = Settings::from_config(&config)
        .unwrap_or_else(|e| panic!("{e}"))
        .transport()
        .limits();
    assert_eq!(limits.body_read_timeout, Duration::from_millis(2500));
    assert_eq!(limits.metrics_max_connections, 8);
    // The defaults.
    let limits = Settings::from_config(&Config::default())
        .unwrap()
        .transport()
        .limits();
    assert_eq!(limits.body_read_timeout, Duration::from_secs(30));
    assert_eq!(limits.metrics_max_connections, 64);
}
