use auth_runtime::webmethod;

#[webmethod(route = "/models//versions")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
