use auth_runtime::webmethod;

#[webmethod(route = "/models", method = "GET", method = "POST")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
