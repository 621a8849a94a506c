use auth_runtime::webmethod;

trait Api {
    #[webmethod(route = "/models", method = "GET")]
    async fn handler() -> &'static str;
}

fn main() {}
