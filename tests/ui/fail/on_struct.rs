use auth_runtime::webmethod;

#[webmethod(route = "/models", method = "GET")]
struct Models;

fn main() {
    let _ = Models;
}
