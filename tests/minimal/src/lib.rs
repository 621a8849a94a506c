//! An embedder's crate with auth-runtime's default features off: no
//! `server` (no `App`, clap, tracing-subscriber, hyper server), no
//! `openapi` (no schemars), no `metrics`. `#[webmethod]` still compiles
//! here, with bodies, parameters and results whose types implement no
//! `JsonSchema` (the macro's schema probes go through the runtime, which
//! has no schemas to make in this build), and the router serves them behind
//! the security pipeline and a provider from the config.

use auth_runtime::extract::{Json, Path, Query};
use auth_runtime::{ApiError, AuthenticatedUser, webmethod};
use serde::{Deserialize, Serialize};

/// A request body; no `JsonSchema` (schemars is not in this build).
#[derive(Deserialize)]
pub struct Note {
    /// The note's text.
    pub text: String,
}

/// A response body.
#[derive(Serialize)]
pub struct Saved {
    /// Who saved it.
    pub by: String,
    /// Under which name.
    pub name: String,
    /// What.
    pub text: String,
    /// `?draft=true`.
    pub draft: bool,
}

/// A query string.
#[derive(Deserialize)]
pub struct Options {
    /// `?draft=true`.
    #[serde(default)]
    pub draft: bool,
}

/// Public.
#[webmethod(
    route = "/health",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
pub async fn health() -> &'static str {
    "ok"
}

/// Every kind of part the macro describes for the API document.
#[webmethod(
    route = "/notes/{name}",
    method = "POST",
    level = "v1",
    required_scope = "notes.write"
)]
pub async fn save(
    user: AuthenticatedUser,
    Path(name): Path<String>,
    Query(options): Query<Options>,
    Json(note): Json<Note>,
) -> Result<Json<Saved>, ApiError> {
    if note.text.is_empty() {
        return Err(ApiError::bad_request("empty note"));
    }
    Ok(Json(Saved {
        by: user.principal.clone(),
        name,
        text: note.text,
        draft: options.draft,
    }))
}

#[cfg(test)]
mod tests {
    use auth_runtime::config::Config;
    use auth_runtime::route::RouteTable;
    use auth_runtime::{RouterBuilder, Security};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const CONFIG: &str = r#"
server:
  auth:
    provider_config:
      type: api_keys
      keys:
        - {key: writer-key, principal: ann, attributes: {scopes: [notes.write]}}
        - {key: reader-key, principal: bob}
"#;

    /// The app's router on 127.0.0.1, served by axum (the embedder's own
    /// server: this build has none).
    async fn serve() -> std::net::SocketAddr {
        let config = Config::parse(CONFIG, "minimal", &|_| None).unwrap();
        let router = RouterBuilder::new()
            .security(Security::from_config(&config).unwrap())
            .build()
            .unwrap()
            .router;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        addr
    }

    /// One HTTP/1.1 exchange; the whole answer.
    async fn exchange(addr: std::net::SocketAddr, request: &str) -> String {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }

    fn post(key: &str, body: &str) -> String {
        format!(
            "POST /v1/notes/first?draft=true HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\
             authorization: Bearer {key}\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n{body}",
            body.len()
        )
    }

    #[test]
    fn the_registry_holds_both_routes() {
        let table = RouteTable::from_registry().unwrap();
        let mut routes: Vec<(&str, &str)> = table
            .entries()
            .iter()
            .map(|e| (e.path, e.handler))
            .collect();
        routes.sort();
        assert_eq!(
            routes,
            [("/v1/health", "health"), ("/v1/notes/{name}", "save")]
        );
    }

    #[tokio::test]
    async fn a_public_route_answers_anyone() {
        let addr = serve().await;
        let response = exchange(
            addr,
            "GET /v1/health HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n",
        )
        .await;
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        assert!(response.ends_with("ok"), "{response}");
    }

    #[tokio::test]
    async fn the_pipeline_authenticates_and_checks_the_scope() {
        let addr = serve().await;
        let body = r#"{"text":"hello"}"#;
        let anonymous = exchange(
            addr,
            &format!(
                "POST /v1/notes/first HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\
                 content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            ),
        )
        .await;
        assert!(anonymous.starts_with("HTTP/1.1 401"), "{anonymous}");
        let reader = exchange(addr, &post("reader-key", body)).await;
        assert!(reader.starts_with("HTTP/1.1 403"), "{reader}");
        let writer = exchange(addr, &post("writer-key", body)).await;
        assert!(writer.starts_with("HTTP/1.1 200"), "{writer}");
        assert!(
            writer.ends_with(r#"{"by":"ann","name":"first","text":"hello","draft":true}"#),
            "{writer}"
        );
    }

    #[tokio::test]
    async fn the_handler_error_and_the_extractor_rejection_are_json() {
        let addr = serve().await;
        let empty = exchange(addr, &post("writer-key", r#"{"text":""}"#)).await;
        assert!(empty.starts_with("HTTP/1.1 400"), "{empty}");
        assert!(
            empty.ends_with(r#"{"error":{"message":"empty note"}}"#),
            "{empty}"
        );
        let malformed = exchange(addr, &post("writer-key", "{")).await;
        assert!(malformed.starts_with("HTTP/1.1 400"), "{malformed}");
        assert!(malformed.contains(r#"{"error":{"message":"#), "{malformed}");
    }
}
