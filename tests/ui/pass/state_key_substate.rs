// `state = AppState` builds the handler against the app state, and axum's
// `FromRef` hands the handler its substate.
use auth_runtime::{RouterBuilder, webmethod}; use auth_runtime::route::{RouteTable};
use axum::extract::{FromRef, State};

#[derive(Clone)]
struct AppState {
    sub: Sub,
}

#[derive(Clone)]
struct Sub {
    name: &'static str,
}

impl FromRef<AppState> for Sub {
    fn from_ref(state: &AppState) -> Sub {
        state.sub.clone()
    }
}

#[webmethod(route = "/name", method = "GET", state = AppState)]
async fn name(State(sub): State<Sub>) -> &'static str {
    sub.name
}

fn main() {
    let table = RouteTable::from_registry().expect("a valid route table");
    let entry = table.entries()[0];
    assert_eq!(entry.path, "/name");
    assert_eq!(entry.state, Some("AppState"));

    // Registering only the substate is not enough: the handler is built against AppState.
    let missing = RouterBuilder::new()
        .without_security()
        .state(Sub { name: "sub" })
        .build()
        .err()
        .expect("AppState is missing");
    assert!(missing.to_string().contains("AppState"), "{missing}");
    RouterBuilder::new()
        .without_security()
        .state(AppState {
            sub: Sub { name: "sub" },
        })
        .build()
        .expect("the router builds once AppState is registered");
}
