//! Load test: requests per second through a bare axum route and through
//! webmethod's router (public route; protected route behind the `api_keys`
//! stack), measured in the same run, on 127.0.0.1 only.
//!
//! `cargo run --release --example load -- [SECONDS] [CONNECTIONS]` (default 3 s, 16).
//! Server and client share the machine: read the ratios, not the numbers.

use std::time::{Duration, Instant};

use auth_runtime::config::Config;
use auth_runtime::{AuthenticatedUser, RouterBuilder, Security, webmethod};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[webmethod(
    route = "/ping-public",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn ping_public() -> &'static str {
    "pong"
}

#[webmethod(route = "/ping", method = "GET", level = "v1", required_scope = "ping")]
async fn ping(_user: AuthenticatedUser) -> &'static str {
    "pong"
}

const CONFIG: &str = "server:
  auth:
    provider_config:
      type: api_keys
      keys:
        - key: load-test-key
          principal: load
          attributes: {scopes: [ping]}
";

async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    addr.to_string()
}

/// One keep-alive connection sending `request` until `deadline`; returns the
/// number of 200 answers.
async fn connection(addr: String, request: Vec<u8>, deadline: Instant) -> std::io::Result<u64> {
    let mut stream = TcpStream::connect(&addr).await?;
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 4096];
    let mut done = 0;
    while Instant::now() < deadline {
        stream.write_all(&request).await?;
        let mut filled = 0;
        loop {
            let n = stream.read(&mut buf[filled..]).await?;
            if n == 0 {
                return Ok(done);
            }
            filled += n;
            let text = &buf[..filled];
            let Some(head_end) = text.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            let head = std::str::from_utf8(&text[..head_end]).unwrap_or("");
            let length: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().unwrap_or(0))
                })
                .unwrap_or(0);
            if filled >= head_end + 4 + length {
                if !head.starts_with("HTTP/1.1 200") {
                    return Err(std::io::Error::other(format!("unexpected answer: {head}")));
                }
                done += 1;
                break;
            }
        }
    }
    Ok(done)
}

async fn measure(
    addr: &str,
    path: &str,
    token: Option<&str>,
    seconds: u64,
    connections: usize,
) -> f64 {
    let mut request = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\n");
    if let Some(token) = token {
        request.push_str(&format!("authorization: Bearer {token}\r\n"));
    }
    request.push_str("\r\n");
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            tokio::spawn(connection(
                addr.to_owned(),
                request.clone().into_bytes(),
                deadline,
            ))
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.expect("task").expect("load connection");
    }
    total as f64 / start.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let connections: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);

    let bare =
        serve(axum::Router::new().route("/v1/ping", axum::routing::get(|| async { "pong" }))).await;
    let config = Config::parse(CONFIG, "load", &|_| None).expect("valid config");
    let webmethod = serve(
        RouterBuilder::new()
            .security(Security::from_config(&config).expect("valid config"))
            .build()
            .expect("router")
            .router,
    )
    .await;

    println!("{seconds} s per case, {connections} keep-alive connections, 127.0.0.1");
    let base = measure(&bare, "/v1/ping", None, seconds, connections).await;
    let cases = [
        ("bare axum route", base),
        (
            "webmethod public route",
            measure(&webmethod, "/v1/ping-public", None, seconds, connections).await,
        ),
        (
            "webmethod api_keys + scope",
            measure(
                &webmethod,
                "/v1/ping",
                Some("load-test-key"),
                seconds,
                connections,
            )
            .await,
        ),
    ];
    println!("{:<28} {:>12} {:>8}", "case", "req/s", "ratio");
    for (name, rps) in cases {
        println!("{name:<28} {rps:>12.0} {:>8.2}", rps / base);
    }
}
