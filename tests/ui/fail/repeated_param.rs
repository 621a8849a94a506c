use auth_runtime::webmethod;

#[webmethod(route = "/models/{id}/versions/{id}")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
