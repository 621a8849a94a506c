use auth_runtime::webmethod;

#[webmethod(route = "/models", required_scope = "")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
