//! The demo server: every webmethod feature on a small model registry.
//!
//! `cargo run --release --example server` serves on 127.0.0.1:8321;
//! `cargo run --release --example server -- routes` lists the routes.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::{Arc, RwLock};

use auth_runtime::authz::{Access, Action, ProtectedResource, Resource};
use auth_runtime::extract::{Json, Path};
use auth_runtime::schemars::{self, JsonSchema};
use auth_runtime::{ApiError, App, Attributes, AuthenticatedUser, User, webmethod};
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

/// A registered model.
#[derive(Clone, Debug, Serialize, JsonSchema)]
struct Model {
    identifier: String,
    provider_id: String,
    model_type: String,
    metadata: Value,
    /// Who registered it (with the attributes they had then); `None` for the
    /// models the server starts with. Sent as the owner's principal.
    #[serde(serialize_with = "owner_principal")]
    #[schemars(with = "Option<String>")]
    owner: Option<User>,
}

fn owner_principal<S: serde::Serializer>(owner: &Option<User>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_some(&owner.as_ref().map(|o| o.principal.as_str()))
}

/// Models are `model::<identifier>` to the access policy.
impl ProtectedResource for Model {
    fn resource_type(&self) -> &str {
        "model"
    }
    fn resource_id(&self) -> &str {
        &self.identifier
    }
    fn owner(&self) -> Option<&User> {
        self.owner.as_ref()
    }
}

impl Model {
    fn new(identifier: &str, provider_id: &str) -> Self {
        Model {
            identifier: identifier.to_owned(),
            provider_id: provider_id.to_owned(),
            model_type: "llm".to_owned(),
            metadata: json!({}),
            owner: None,
        }
    }
}

/// A model to register.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RegisterModel {
    /// The model's identifier: 1 to 256 characters, not all of them
    /// whitespace (leading and trailing whitespace is trimmed).
    // The schema states all that `register_model` checks: a body the
    // document allows is never refused (schemathesis checks it).
    #[schemars(length(min = 1, max = 256), regex(pattern = r"\S"))]
    model_id: String,
    #[serde(default)]
    provider_id: Option<String>,
    #[serde(default)]
    model_type: Option<String>,
    #[serde(default)]
    metadata: Option<Value>,
}

#[derive(Serialize, JsonSchema)]
struct Health {
    status: &'static str,
}

#[derive(Serialize, JsonSchema)]
struct Version {
    version: &'static str,
}

// The fields of the bodies below are in alphabetical order: the JSON is the
// same, byte for byte, as the `json!` maps these handlers used to send.

/// A caller: `principal` is `null` for an anonymous one.
#[derive(Serialize, JsonSchema)]
struct Caller {
    attributes: Attributes,
    principal: Option<String>,
    /// The caller's tenant (`server.tenancy`); absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct ModelList {
    data: Vec<Model>,
}

#[derive(Serialize, JsonSchema)]
struct Catalog {
    data: Vec<Model>,
    /// The signed-in caller, or `null`.
    principal: Option<String>,
}

#[derive(Serialize, JsonSchema)]
struct File {
    content: &'static str,
    path: String,
}

/// Liveness: always `{"status": "OK"}`.
#[webmethod(
    route = "/health",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn health() -> Json<Health> {
    Json(Health { status: "OK" })
}

/// The server's version.
#[webmethod(
    route = "/version",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn version() -> Json<Version> {
    Json(Version {
        version: env!("CARGO_PKG_VERSION"),
    })
}

/// The caller as authentication established it (anonymous while auth is off).
#[webmethod(
    route = "/whoami",
    method = "GET",
    level = "v1",
    descriptive_name = "Who am I"
)]
async fn whoami(user: Option<AuthenticatedUser>) -> Json<Caller> {
    Json(match user {
        Some(user) => Caller {
            principal: Some(user.principal.clone()),
            attributes: user.attributes.clone(),
            tenant: user.tenant().map(str::to_owned),
        },
        None => Caller {
            principal: None,
            attributes: Attributes::new(),
            tenant: None,
        },
    })
}

/// The models the caller may read.
#[webmethod(route = "/models", method = "GET", level = "v1")]
#[webmethod(
    route = "/openai/v1/models",
    method = "GET",
    level = "v1",
    deprecated = true
)]
async fn list_models(State(state): State<AppState>, access: Access) -> Json<ModelList> {
    let models = state.models.read().unwrap_or_else(|e| e.into_inner());
    Json(ModelList {
        data: access
            .filter(Action::Read, models.values())
            .into_iter()
            .cloned()
            .collect(),
    })
}

/// The models anyone may browse: a public route that still knows a signed-in
/// caller. Anonymous callers (no token, or one the provider rejects) get
/// `principal: null` and, under the access policy, no models; a caller with
/// an accepted token gets the models it may read.
#[webmethod(
    route = "/catalog",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn catalog(
    State(state): State<AppState>,
    user: Option<AuthenticatedUser>,
    access: Access,
) -> Json<Catalog> {
    let models = state.models.read().unwrap_or_else(|e| e.into_inner());
    Json(Catalog {
        principal: user.map(|u| u.principal.clone()),
        data: access
            .filter(Action::Read, models.values())
            .into_iter()
            .cloned()
            .collect(),
    })
}

/// Registers a model owned by the caller. The policy sees the create before
/// the owner is set, as llama-stack checks it.
#[webmethod(
    route = "/models",
    method = "POST",
    level = "v1",
    required_scope = "models.write"
)]
async fn register_model(
    State(state): State<AppState>,
    access: Access,
    user: AuthenticatedUser,
    Json(body): Json<RegisterModel>,
) -> Result<Json<Model>, ApiError> {
    let id = body.model_id.trim();
    // Characters, as the schema's maxLength counts them.
    if id.is_empty() || id.chars().count() > 256 {
        return Err(ApiError::bad_request(
            "model_id must have 1 to 256 characters",
        ));
    }
    access.check(Action::Create, &Resource::new("model", id, None))?;
    let model = Model {
        identifier: id.to_owned(),
        provider_id: body.provider_id.unwrap_or_else(|| "demo".to_owned()),
        model_type: body.model_type.unwrap_or_else(|| "llm".to_owned()),
        metadata: body.metadata.unwrap_or_else(|| json!({})),
        owner: Some(User::clone(&user)),
    };
    let mut models = state.models.write().unwrap_or_else(|e| e.into_inner());
    if models.contains_key(id) {
        return Err(ApiError::conflict(format!("model '{id}' already exists")));
    }
    models.insert(model.identifier.clone(), model.clone());
    Ok(Json(model))
}

/// One model, if the caller may read it.
#[webmethod(route = "/models/{model_id}", method = "GET", level = "v1")]
async fn get_model(
    State(state): State<AppState>,
    access: Access,
    Path(model_id): Path<String>,
) -> Result<Json<Model>, ApiError> {
    let models = state.models.read().unwrap_or_else(|e| e.into_inner());
    let model = models
        .get(&model_id)
        .ok_or_else(|| ApiError::not_found(format!("model '{model_id}' not found")))?;
    access.check(Action::Read, model)?;
    Ok(Json(model.clone()))
}

/// Deletes a model the caller may delete.
#[webmethod(
    route = "/models/{model_id}",
    method = "DELETE",
    level = "v1",
    required_scope = "models.write",
    status = 204
)]
async fn delete_model(
    State(state): State<AppState>,
    access: Access,
    Path(model_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut models = state.models.write().unwrap_or_else(|e| e.into_inner());
    let model = models
        .get(&model_id)
        .ok_or_else(|| ApiError::not_found(format!("model '{model_id}' not found")))?;
    access.check(Action::Delete, model)?;
    models.remove(&model_id);
    Ok(StatusCode::NO_CONTENT)
}

/// A read-only file (admins only, by the route policy).
#[webmethod(route = "/files/{path:path}", method = "GET", level = "v1")]
async fn get_file(
    State(state): State<AppState>,
    Path(path): Path<String>,
) -> Result<Json<File>, ApiError> {
    state
        .files
        .get(path.as_str())
        .map(|&content| {
            Json(File {
                path: path.clone(),
                content,
            })
        })
        .ok_or_else(|| ApiError::not_found(format!("file '{path}' not found")))
}

/// Printed at startup when the embedded config is in use.
const BANNER: &str = "\
webmethod demo server, authentication by API key (embedded config; --config FILE for another)
  admin (scopes models.read, models.write): Authorization: Bearer demo-admin-key
  alice (scope models.read, team ml):       Authorization: Bearer demo-user-key
  bob (scopes models.read, models.write, team ml): Authorization: Bearer demo-bob-key
try:
  curl -s http://{addr}/v1/health
  curl -s -H 'Authorization: Bearer demo-user-key' http://{addr}/v1/whoami
  curl -s -H 'Authorization: Bearer demo-admin-key' -H 'content-type: application/json' \\
       -d '{\"model_id\": \"my-model\"}' http://{addr}/v1/models";

#[tokio::main]
async fn main() -> ExitCode {
    App::new()
        .title("webmethod demo")
        .version(env!("CARGO_PKG_VERSION"))
        .state(AppState::demo())
        .default_config(include_str!("server.yaml"), Some(BANNER.to_owned()))
        .run()
        .await
}
