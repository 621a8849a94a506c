use auth_runtime::webmethod;

#[webmethod(route = "/models", deprecated)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
