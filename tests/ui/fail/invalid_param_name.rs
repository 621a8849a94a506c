use auth_runtime::webmethod;

#[webmethod(route = "/models/{1st}")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
