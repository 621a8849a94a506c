use auth_runtime::webmethod;

#[webmethod(route = "/models", descriptive_name = "  ")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
