use auth_runtime::webmethod;

#[webmethod(route = "/models", deprecated = 1)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
