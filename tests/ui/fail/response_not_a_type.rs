use auth_runtime::webmethod;

#[webmethod(route = "/models", response = 42)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
