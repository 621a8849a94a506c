//! webmethod inside an existing axum app: the app keeps its own routes, its
//! own tower-http layer and its own 404; its annotated handlers join them.
//!
//! `cargo run --example embed -- --port 8323` (0 picks a free port), then:
//!
//! ```text
//! curl -s localhost:8323/healthz                                   # public on purpose
//! curl -s localhost:8323/dashboard                                 # 401: the app's own route is protected too
//! curl -s -H 'Authorization: Bearer embed-key' localhost:8323/dashboard
//! curl -s -H 'Authorization: Bearer embed-key' localhost:8323/v1/notes
//! curl -s -H 'Authorization: Bearer embed-key' localhost:8323/nowhere   # the app's 404 page
//! ```
//!
//! What protects what:
//! - `RouterBuilder::merge(router)`: the app's unannotated routes, behind the
//!   same pipeline as an unmatched request (authentication required, route
//!   policy, quota, the app's guards). The default for anything merged:
//!   fail closed.
//! - `RouterBuilder::merge_public(router)`: outside the pipeline, for what
//!   must stay open; the server logs a warning that it exists.
//! - `RouterBuilder::fallback(handler)`: the app's answer to unmatched
//!   requests, after the pipeline: an anonymous caller still gets 401
//!   (nothing learned about which paths exist), a signed-in one the app's
//!   own 404.
//! - Layers the app adds to the built router (here a tower-http header) wrap
//!   everything, the security pipeline's answers included.

use std::process::ExitCode;

use auth_runtime::config::Config;
use auth_runtime::{AuthenticatedUser, RouterBuilder, Security, webmethod};
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Html;
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;

/// The app's auth config: one API key, and a route policy over every path,
/// the app's own included.
const CONFIG: &str = r#"
server:
  auth:
    provider_config:
      type: api_keys
      keys:
        - {key: embed-key, principal: ann, attributes: {roles: [staff]}}
    route_policy:
      - permit: {paths: "*"}
        when: user with staff in roles
"#;

/// An annotated handler, declared where it is written.
#[webmethod(route = "/notes", method = "GET", level = "v1")]
async fn notes(user: AuthenticatedUser) -> String {
    format!("notes of {}\n", user.principal)
}

/// The routes the app had before webmethod: not annotated.
fn existing_routes() -> Router {
    Router::new().route("/dashboard", get(|| async { Html("<h1>Dashboard</h1>\n") }))
}

/// What a load balancer probes: open to anyone.
fn probes() -> Router {
    Router::new().route("/healthz", get(|| async { "ok\n" }))
}

/// The app's own 404 page.
async fn not_found() -> (StatusCode, Html<&'static str>) {
    (StatusCode::NOT_FOUND, Html("<h1>Nothing here</h1>\n"))
}

fn app() -> Result<Router, Box<dyn std::error::Error>> {
    let config = Config::parse(CONFIG, "embed.rs", &|name| std::env::var(name).ok())?;
    let built = RouterBuilder::new()
        .security(Security::from_config(&config)?)
        .merge(existing_routes())
        .merge_public(probes())
        .fallback(not_found)
        .build()?;
    Ok(built.router.layer(SetResponseHeaderLayer::overriding(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    )))
}

fn port() -> Result<u16, String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => Ok(8323),
        [flag, value] if flag == "--port" => {
            value.parse().map_err(|e| format!("--port {value}: {e}"))
        }
        _ => Err("usage: embed [--port N]".to_owned()),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let ready: Result<(u16, Router), Box<dyn std::error::Error>> = port()
        .map_err(Into::into)
        .and_then(|port| Ok((port, app()?)));
    let (port, router) = match ready {
        Ok(ready) => ready,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("error: cannot listen on 127.0.0.1:{port}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(addr) => println!("listening on http://{addr}"),
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    }
    let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
    match axum::serve(listener, service).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
