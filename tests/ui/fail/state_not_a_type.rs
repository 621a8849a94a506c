use auth_runtime::webmethod;

#[webmethod(route = "/models", state = 42)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
