use auth_runtime::webmethod;

#[webmethod(route = "/models", status = "201")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
