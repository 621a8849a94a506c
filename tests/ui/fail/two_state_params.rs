use auth_runtime::webmethod;

use axum::extract::State;

#[derive(Clone)]
struct AppState;

#[derive(Clone)]
struct Other;

#[webmethod(route = "/models", method = "GET")]
async fn handler(State(_a): State<AppState>, State(_b): State<Other>) -> &'static str {
    "ok"
}

fn main() {}
