use auth_runtime::webmethod;

#[webmethod(route = "/models", method = "GET")]
async fn handler<T: Default>() -> &'static str {
    let _ = T::default();
    "ok"
}

fn main() {}
