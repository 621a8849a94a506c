use auth_runtime::webmethod;

#[webmethod(route = "/models", method = "GET")]
async fn handler() -> &'static str
where
    String: Clone,
{
    "ok"
}

fn main() {}
