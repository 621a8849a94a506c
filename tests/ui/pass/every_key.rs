// Every key of the attribute at once.
use auth_runtime::{AuthenticatedUser, RouterBuilder, webmethod}; use auth_runtime::route::{Method, RouteTable};
use axum::extract::{Path, State};

#[derive(Clone)]
struct AppState;

#[webmethod(
    route = "/models/{model_id}",
    method = "PATCH",
    level = "v1alpha",
    require_authentication = true,
    required_scope = "models.write",
    deprecated = true,
    descriptive_name = "Update a model",
    state = AppState,
)]
async fn update_model(
    State(_state): State<AppState>,
    user: AuthenticatedUser,
    Path(model_id): Path<String>,
) -> &'static str {
    let _ = (user, model_id);
    "updated"
}

fn main() {
    let table = RouteTable::from_registry().expect("a valid route table");
    let entry = table.entries()[0];
    assert_eq!(entry.method, Method::Patch);
    assert_eq!(entry.path, "/v1alpha/models/{model_id}");
    assert_eq!(entry.template, "/models/{model_id}");
    assert_eq!(entry.level, Some("v1alpha"));
    assert_eq!(entry.params, ["model_id"]);
    assert!(entry.require_authentication);
    assert_eq!(entry.required_scope, Some("models.write"));
    assert!(entry.deprecated);
    assert_eq!(entry.descriptive_name, Some("Update a model"));
    assert_eq!(entry.handler, "update_model");
    assert_eq!(entry.state, Some("AppState"));
    assert!(entry.file.ends_with("every_key.rs"), "{}", entry.file);
    RouterBuilder::new()
        .without_security()
        .state(AppState)
        .build()
        .expect("the router builds");
}
