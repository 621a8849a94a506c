// One handler served at two routes; the old one is a deprecated alias.
use auth_runtime::{webmethod}; use auth_runtime::route::{Method, RouteTable};

#[webmethod(route = "/models", method = "GET", level = "v1")]
#[webmethod(
    route = "/list_models",
    method = "GET",
    level = "v1",
    deprecated = true
)]
async fn list_models() -> &'static str {
    "models"
}

fn main() {
    let table = RouteTable::from_registry().expect("a valid route table");
    let entries = table.entries();
    assert_eq!(entries.len(), 2);
    let current = entries
        .iter()
        .find(|e| e.path == "/v1/models")
        .expect("the current route");
    let alias = entries
        .iter()
        .find(|e| e.path == "/v1/list_models")
        .expect("the alias");
    for entry in [current, alias] {
        assert_eq!(entry.method, Method::Get);
        assert_eq!(entry.handler, "list_models");
    }
    assert!(!current.deprecated);
    assert!(alias.deprecated);
}
