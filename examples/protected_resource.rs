//! `ProtectedResource` on an app's own type, with `Access::check` for one
//! resource and `Access::filter` for a list: the config's `access_policy`
//! decides, per caller and per resource.
//!
//! `cargo run --example protected_resource` (127.0.0.1:8326), then:
//!
//! ```text
//! curl -s -H 'Authorization: Bearer key-ann' localhost:8326/v1/documents        # ann's and the shared one
//! curl -s -H 'Authorization: Bearer key-bob' localhost:8326/v1/documents/plan   # 403: ann's
//! ```

use std::process::ExitCode;

use auth_runtime::authz::{Access, Action, ProtectedResource};
use auth_runtime::extract::{Json, Path};
use auth_runtime::{ApiError, App, User, webmethod};
use serde::Serialize;

/// The app's own type. `owner` keeps the user who created it, with the
/// attributes they had then (the policy's `user in owners teams` reads them).
#[derive(Clone, Serialize)]
struct Document {
    id: &'static str,
    title: &'static str,
    #[serde(skip)]
    owner: Option<User>,
}

impl ProtectedResource for Document {
    fn resource_type(&self) -> &str {
        "document"
    }
    fn resource_id(&self) -> &str {
        self.id
    }
    fn owner(&self) -> Option<&User> {
        self.owner.as_ref()
    }
}

fn documents() -> Vec<Document> {
    let ann = User::new("ann", Default::default());
    vec![
        Document {
            id: "plan",
            title: "Ann's plan",
            owner: Some(ann),
        },
        Document {
            id: "handbook",
            title: "Shared handbook",
            owner: None,
        },
    ]
}

/// The documents the caller may read.
#[webmethod(route = "/documents", method = "GET", level = "v1")]
async fn list(access: Access) -> Json<Vec<Document>> {
    Json(access.filter(Action::Read, documents()))
}

/// One document, if the caller may read it (403 otherwise, 404 if none).
#[webmethod(route = "/documents/{id}", method = "GET", level = "v1")]
async fn get(access: Access, Path(id): Path<String>) -> Result<Json<Document>, ApiError> {
    let document = documents()
        .into_iter()
        .find(|d| d.id == id)
        .ok_or_else(|| ApiError::not_found(format!("no document {id}")))?;
    access.check(Action::Read, &document)?;
    Ok(Json(document))
}

const CONFIG: &str = r#"
server:
  port: 8326
  auth:
    provider_config:
      type: api_keys
      keys:
        - {key: key-ann, principal: ann}
        - {key: key-bob, principal: bob}
    access_policy:
      - permit: {actions: [read]}
        when: user is owner
        description: owners read their documents
      - permit: {actions: [read]}
        when: resource is unowned
        description: everyone reads shared documents
"#;

#[tokio::main]
async fn main() -> ExitCode {
    App::new().default_config(CONFIG, None).run().await
}
