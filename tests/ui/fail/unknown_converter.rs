use auth_runtime::webmethod;

#[webmethod(route = "/models/{id:int}")]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
