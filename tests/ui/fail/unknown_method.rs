use auth_runtime::webmethod;

#[webmethod(route = "/models", method = "FETCH")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
