// `impl Trait` in a handler's types cannot be named in generated code: the
// handler still compiles, and its document entry is permissive.
use auth_runtime::openapi::Content;
use auth_runtime::{webmethod}; use auth_runtime::route::{RouteTable};
use axum::Json;
use axum::response::IntoResponse;

#[webmethod(route = "/a", method = "GET")]
async fn body_of_impl() -> Json<impl serde::Serialize> {
    Json(vec![1, 2, 3])
}

#[webmethod(route = "/b", method = "GET")]
async fn result_of_impls() -> Result<Json<impl serde::Serialize>, impl IntoResponse> {
    if true { Ok(Json("ok")) } else { Err("no") }
}

fn main() {
    let table = RouteTable::from_registry().expect("a valid route table");
    for entry in table.entries() {
        assert!(matches!(entry.doc.response.content, Content::Unknown), "{}", entry.handler);
        assert!(entry.doc.error.is_none());
    }
}
