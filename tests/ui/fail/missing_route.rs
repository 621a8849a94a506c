use auth_runtime::webmethod;

#[webmethod(method = "GET", level = "v1")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
