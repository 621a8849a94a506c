use auth_runtime::webmethod;

#[webmethod(route = "/models/v{version}")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
