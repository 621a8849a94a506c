use auth_runtime::webmethod;

#[webmethod(route = "/models", method =)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
