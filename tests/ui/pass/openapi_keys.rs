// What the API description records: doc comment, extractors, return types,
// `operation_id`, `status` and `response`; a type without `JsonSchema` compiles.
use auth_runtime::extract::{Json, Path, Query};
use auth_runtime::openapi::{Content, Rejection};
use auth_runtime::schemars::{self, JsonSchema};
use auth_runtime::{webmethod}; use auth_runtime::route::{RouteTable};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, JsonSchema)]
struct Page {
    limit: Option<u32>,
}

#[derive(Deserialize, Serialize, JsonSchema)]
struct Model {
    id: String,
}

/// No `JsonSchema` here.
#[derive(Deserialize)]
struct Opaque {
    _x: u8,
}

/// Lists models.
///
/// Paged by `limit`.
#[webmethod(route = "/models/{owner}/{kind}", method = "GET", operation_id = "listModels")]
async fn list(Path((_owner, _kind)): Path<(String, u32)>, Query(_page): Query<Page>) -> Json<Vec<Model>> {
    Json(Vec::new())
}

#[webmethod(route = "/models", method = "POST", status = 201, response = Model)]
async fn create(Json(model): Json<Model>) -> impl IntoResponse {
    (StatusCode::CREATED, axum::Json(model))
}

#[webmethod(route = "/opaque", method = "POST")]
async fn opaque(axum::Json(_o): axum::Json<Opaque>) -> Result<StatusCode, String> {
    Ok(StatusCode::ACCEPTED)
}

fn main() {
    let table = RouteTable::from_registry().expect("a valid route table");
    let by_handler = |name: &str| {
        *table
            .entries()
            .iter()
            .find(|e| e.handler == name)
            .expect("registered")
    };
    let list = by_handler("list");
    assert_eq!(list.doc.operation_id, "listModels");
    assert_eq!(list.doc.summary, Some("Lists models."));
    assert_eq!(list.doc.description, Some("Paged by `limit`."));
    assert!(list.doc.path.is_some() && list.doc.query.is_some());
    assert_eq!(list.doc.response.status, Some(200));
    assert!(matches!(list.doc.response.content, Content::Json(_)));
    let rejections: Vec<Rejection> = list.doc.rejections.iter().map(|r| r()).collect();
    assert_eq!(rejections, [Rejection::Json, Rejection::Json]);

    let create = by_handler("create");
    assert_eq!(create.doc.operation_id, "create");
    assert_eq!(create.doc.response.status, Some(201));
    assert!(matches!(create.doc.response.content, Content::Json(_)));
    assert!(create.doc.body.is_some_and(|b| b.media_type == "application/json"));

    let opaque = by_handler("opaque");
    let mut generator = schemars::SchemaGenerator::default();
    let body = opaque.doc.body.expect("a body");
    assert!((body.schema)(&mut generator).is_none(), "Opaque has no schema");
    assert_eq!(opaque.doc.response.status, None, "StatusCode: chosen by the handler");
    assert!(matches!(opaque.doc.response.content, Content::Empty));
    assert!(opaque.doc.error.is_some());
    let rejections: Vec<Rejection> = opaque.doc.rejections.iter().map(|r| r()).collect();
    assert_eq!(rejections, [Rejection::Text]);
}
