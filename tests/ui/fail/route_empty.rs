use auth_runtime::webmethod;

#[webmethod(route = "")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
