use auth_runtime::webmethod;

#[webmethod(route = "/models", method = "GET")]
#[webmethod(route = "/v0/models/", method = "GET", deprecated = true)]
async fn handler() -> &'static str {
    "ok"
}

fn main() {}
