use auth_runtime::webmethod;

#[webmethod(route = "/models", level = "v1/beta")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
