use auth_runtime::webmethod;

#[webmethod]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
