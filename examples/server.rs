//! The demo server: every webmethod feature on a small model registry.
//!
//! `cargo run --release --example server` serves on 127.0.0.1:8321;
//! `cargo run --release --example server -- routes` lists the routes.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, RwLock};

use auth_runtime::extract::{Json, Path};
use auth_runtime::{ApiError, App, AuthenticatedUser, webmethod};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The app state: models in memory, and a few read-only files.
#[derive(Clone)]
struct AppState {
    models: Arc<RwLock<BTreeMap<String, Model>>>,
    files: Arc<BTreeMap<&'static str, &'static str>>,
}

impl AppState {
    fn demo() -> Self {
        let models = [
            Model::new("llama-3.2-3b", "ollama"),
            Model::new("all-minilm", "sentence-transformers"),
        ];
        AppState {
            models: Arc::new(RwLock::new(
                models
                    .into_iter()
                    .map(|m| (m.identifier.clone(), m))
                    .collect(),
            )),
            files: Arc::new(BTreeMap::from([
                ("readme.txt", "Welcome to the webmethod demo.\n"),
                (
                    "docs/guide.md",
                    "# Guide\n\nEvery route declares its auth policy.\n",
                ),
            ])),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
struct Model {
    identifier: String,
    provider_id: String,
    model_type: String,
    metadata: Value,
}

impl Model {
    fn new(identifier: &str, provider_id: &str) -> Self {
        Model {
            identifier: identifier.to_owned(),
            provider_id: provider_id.to_owned(),
            model_type: "llm".to_owned(),
            metadata: json!({}),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterModel {
    model_id: String,
    #[serde(default)]
    provider_id: Option<String>,
    #[serde(default)]
    model_type: Option<String>,
    #[serde(default)]
    metadata: Option<Value>,
}

#[webmethod(
    route = "/health",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn health() -> Json<Value> {
    Json(json!({"status": "OK"}))
}

#[webmethod(
    route = "/version",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn version() -> Json<Value> {
    Json(json!({"version": env!("CARGO_PKG_VERSION")}))
}

/// The caller as authentication established it (anonymous while auth is off).
#[webmethod(
    route = "/whoami",
    method = "GET",
    level = "v1",
    descriptive_name = "Who am I"
)]
async fn whoami(user: Option<AuthenticatedUser>) -> Json<Value> {
    Json(match user {
        Some(user) => json!({"principal": user.principal, "attributes": user.attributes}),
        None => json!({"principal": null, "attributes": {}}),
    })
}

#[webmethod(route = "/models", method = "GET", level = "v1")]
#[webmethod(
    route = "/openai/v1/models",
    method = "GET",
    level = "v1",
    deprecated = true
)]
async fn list_models(State(state): State<AppState>) -> Json<Value> {
    let models = state.models.read().unwrap_or_else(|e| e.into_inner());
    Json(json!({"data": models.values().collect::<Vec<_>>()}))
}

#[webmethod(
    route = "/models",
    method = "POST",
    level = "v1",
    required_scope = "models.write"
)]
async fn register_model(
    State(state): State<AppState>,
    Json(body): Json<RegisterModel>,
) -> Result<Json<Model>, ApiError> {
    let id = body.model_id.trim();
    if id.is_empty() || id.len() > 256 {
        return Err(ApiError::bad_request(
            "model_id must have 1 to 256 characters",
        ));
    }
    let model = Model {
        identifier: id.to_owned(),
        provider_id: body.provider_id.unwrap_or_else(|| "demo".to_owned()),
        model_type: body.model_type.unwrap_or_else(|| "llm".to_owned()),
        metadata: body.metadata.unwrap_or_else(|| json!({})),
    };
    let mut models = state.models.write().unwrap_or_else(|e| e.into_inner());
    if models.contains_key(id) {
        return Err(ApiError::conflict(format!("model '{id}' already exists")));
    }
    models.insert(model.identifier.clone(), model.clone());
    Ok(Json(model))
}

#[webmethod(route = "/models/{model_id}", method = "GET", level = "v1")]
async fn get_model(
    State(state): State<AppState>,
    Path(model_id): Path<String>,
) -> Result<Json<Model>, ApiError> {
    let models = state.models.read().unwrap_or_else(|e| e.into_inner());
    models
        .get(&model_id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("model '{model_id}' not found")))
}

#[webmethod(
    route = "/models/{model_id}",
    method = "DELETE",
    level = "v1",
    required_scope = "models.write"
)]
async fn delete_model(
    State(state): State<AppState>,
    Path(model_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut models = state.models.write().unwrap_or_else(|e| e.into_inner());
    match models.remove(&model_id) {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::not_found(format!("model '{model_id}' not found"))),
    }
}

#[webmethod(route = "/files/{path:path}", method = "GET", level = "v1")]
async fn get_file(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state
        .files
        .get(path.as_str())
        .map(|content| Json(json!({"path": path, "content": content})))
        .ok_or_else(|| ApiError::not_found(format!("file '{path}' not found")))
}

/// Printed at startup when the embedded config is in use.
const BANNER: &str = "\
webmethod demo server, authentication by API key (embedded config; --config FILE for another)
  admin (scopes models.read, models.write): Authorization: Bearer demo-admin-key
  alice (scope models.read):                Authorization: Bearer demo-user-key
try:
  curl -s http://{addr}/v1/health
  curl -s -H 'Authorization: Bearer demo-user-key' http://{addr}/v1/whoami
  curl -s -H 'Authorization: Bearer demo-admin-key' -H 'content-type: application/json' \\
       -d '{\"model_id\": \"my-model\"}' http://{addr}/v1/models";

#[tokio::main]
async fn main() -> ExitCode {
    App::new()
        .state(AppState::demo())
        .default_config(include_str!("server.yaml"), Some(BANNER.to_owned()))
        .run()
        .await
}
