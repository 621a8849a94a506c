use auth_runtime::webmethod;

#[webmethod(
    route = "models/{id",
    method = "FETCH",
    requird_scope = "x",
    deprecated = "yes"
)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
