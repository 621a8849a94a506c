use auth_runtime::webmethod;

struct Api;

impl Api {
    #[webmethod(route = "/models", method = "GET")]
    async fn handler(&self) -> &'static str {
        "ok"
    }
}

fn main() {
    let _ = Api.handler();
}
