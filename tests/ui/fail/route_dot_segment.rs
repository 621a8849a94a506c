use auth_runtime::webmethod;

#[webmethod(route = "/models/../admin")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
