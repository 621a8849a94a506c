use auth_runtime::webmethod;

#[derive(Clone)]
struct AppState;

#[webmethod(route = "/models", state = AppState method = "GET")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
