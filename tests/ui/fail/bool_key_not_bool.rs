use auth_runtime::webmethod;

#[webmethod(route = "/models", require_authentication = "false")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
