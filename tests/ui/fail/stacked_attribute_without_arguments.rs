use auth_runtime::webmethod;

#[webmethod(route = "/models", method = "GET")]
#[webmethod]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
