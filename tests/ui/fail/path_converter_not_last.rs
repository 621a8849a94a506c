use auth_runtime::webmethod;

#[webmethod(route = "/files/{path:path}/meta")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
