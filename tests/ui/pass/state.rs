// A handler taking `State<AppState>` is closed over the registered AppState.
use auth_runtime::{RouterBuilder, webmethod}; use auth_runtime::route::{RouteTable};
use axum::extract::State;

#[derive(Clone)]
struct AppState {
    greeting: &'static str,
}

#[webmethod(route = "/greeting", method = "GET")]
async fn greeting(State(state): State<AppState>) -> &'static str {
    state.greeting
}

fn main() {
    let table = RouteTable::from_registry().expect("a valid route table");
    let entry = table.entries()[0];
    assert_eq!(entry.path, "/greeting");
    assert_eq!(entry.state, Some("AppState"));

    // Without the state the router cannot be built; with it, it can.
    let missing = RouterBuilder::new()
        .without_security()
        .build()
        .err()
        .expect("AppState is missing");
    assert!(missing.to_string().contains("AppState"), "{missing}");
    RouterBuilder::new()
        .without_security()
        .state(AppState { greeting: "hello" })
        .build()
        .expect("the router builds once AppState is registered");
}
