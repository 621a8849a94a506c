use auth_runtime::webmethod;

#[webmethod(route = "/models" method = "GET")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
