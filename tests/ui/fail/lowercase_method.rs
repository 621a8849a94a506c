use auth_runtime::webmethod;

#[webmethod(route = "/models", method = "get")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
