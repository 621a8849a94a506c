use auth_runtime::webmethod;

#[webmethod(route, method = "GET")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
