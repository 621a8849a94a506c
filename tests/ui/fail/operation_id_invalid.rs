use auth_runtime::webmethod;

#[webmethod(route = "/models", operation_id = "list models")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
