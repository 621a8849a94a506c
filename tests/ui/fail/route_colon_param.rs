use auth_runtime::webmethod;

#[webmethod(route = "/models/:id")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
