use auth_runtime::webmethod;

#[webmethod(route = "/models", level = "")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
