use auth_runtime::webmethod;

#[webmethod(route = "/models", methd = "GET")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
