use auth_runtime::webmethod;

#[webmethod(route = "/models", method = "GET")]
fn handler() -> &'static str {
    "ok"
}

fn main() {}
