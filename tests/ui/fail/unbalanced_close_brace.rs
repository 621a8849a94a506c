use auth_runtime::webmethod;

#[webmethod(route = "/models/model_id}")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
