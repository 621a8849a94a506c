//! A bare axum server, no auth-runtime: the baseline for `scripts/bench-instr`.
//!
//! Two routes of the same shape as the demo server's (`examples/server.rs`):
//! `GET /v1/health` answers `{"status":"OK"}`; `GET /v1/whoami` answers a
//! fixed principal and its attributes, serialized per request from a value
//! held in the state, as the demo serializes the authenticated user.
//!
//! `cargo run --release --example bare_axum -- --port N` serves on
//! 127.0.0.1:N (0 picks a free port), prints `listening on http://ADDR` on
//! stdout and shuts down gracefully on SIGINT (so callgrind writes its output).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

/// The fixed caller `/v1/whoami` reports, like the demo's `User`.
struct Caller {
    principal: String,
    attributes: BTreeMap<String, Vec<String>>,
}

impl Caller {
    fn alice() -> Self {
        let attr = |name: &str, values: &[&str]| {
            (
                name.to_owned(),
                values.iter().map(|v| (*v).to_owned()).collect(),
            )
        };
        Caller {
            principal: "alice".to_owned(),
            attributes: BTreeMap::from([
                attr("roles", &["user"]),
                attr("scopes", &["models.read"]),
                attr("teams", &["ml"]),
            ]),
        }
    }
}

// The same typed bodies as the demo's handlers, so that only the stack in
// front of them differs.
#[derive(Serialize)]
struct Health {
    status: &'static str,
}

#[derive(Serialize)]
struct CallerBody {
    attributes: BTreeMap<String, Vec<String>>,
    principal: Option<String>,
}

async fn health() -> Json<Health> {
    Json(Health { status: "OK" })
}

/// The demo's `whoami` body, built the same way (the Arc clone stands in for
/// the demo's `Arc<User>` taken out of the request).
async fn whoami(State(user): State<Arc<Caller>>) -> Json<CallerBody> {
    Json(CallerBody {
        attributes: user.attributes.clone(),
        principal: Some(user.principal.clone()),
    })
}

fn port_arg() -> Result<u16, String> {
    let mut args = std::env::args().skip(1);
    let mut port = None;
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--port" => args.next().ok_or("--port needs a value")?,
            _ => match arg.strip_prefix("--port=") {
                Some(v) => v.to_owned(),
                None => {
                    return Err(format!(
                        "unexpected argument '{arg}' (usage: bare_axum --port N)"
                    ));
                }
            },
        };
        port = Some(value.parse().map_err(|e| format!("--port {value}: {e}"))?);
    }
    port.ok_or_else(|| "usage: bare_axum --port N".to_owned())
}

#[tokio::main]
async fn main() -> ExitCode {
    let port = match port_arg() {
        Ok(port) => port,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let router = Router::new()
        .route("/v1/health", get(health))
        .route("/v1/whoami", get(whoami))
        .with_state(Arc::new(Caller::alice()));
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on http://{addr}");
    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    match axum::serve(listener, service)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
