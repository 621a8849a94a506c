use auth_runtime::webmethod;

#[webmethod(route = "models")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
