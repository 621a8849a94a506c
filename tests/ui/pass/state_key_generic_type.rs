// `state` takes any type, commas inside its generics included.
use std::collections::HashMap;

use auth_runtime::{RouterBuilder, webmethod}; use auth_runtime::route::{RouteTable};
use axum::extract::State;

#[webmethod(route = "/counts", method = "GET", state = HashMap<String, u32>, level = "v1")]
async fn counts(State(counts): State<HashMap<String, u32>>) -> &'static str {
    if counts.is_empty() { "none" } else { "some" }
}

fn main() {
    let table = RouteTable::from_registry().expect("a valid route table");
    let entry = table.entries()[0];
    assert_eq!(entry.path, "/v1/counts");
    let state = entry.state.expect("a state type");
    assert!(
        state.starts_with("HashMap") && state.contains("u32"),
        "{state}"
    );
    RouterBuilder::new()
        .without_security()
        .state(HashMap::<String, u32>::new())
        .build()
        .expect("the router builds once the map is registered");
}
