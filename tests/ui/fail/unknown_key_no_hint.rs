use auth_runtime::webmethod;

#[webmethod(route = "/models", color = "blue")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
