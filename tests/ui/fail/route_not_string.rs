use auth_runtime::webmethod;

#[webmethod(route = 42)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
