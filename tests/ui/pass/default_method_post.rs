// Without `method`, a route is POST, as in llama-stack.
use auth_runtime::{webmethod}; use auth_runtime::route::{Method, RouteTable};

#[webmethod(route = "/chat/completions", level = "v1")]
async fn chat_completion() -> &'static str {
    "completion"
}

fn main() {
    let table = RouteTable::from_registry().expect("a valid route table");
    let entry = table.entries()[0];
    assert_eq!(entry.method, Method::Post);
    assert_eq!(entry.path, "/v1/chat/completions");
    assert!(entry.require_authentication);
    assert!(!entry.deprecated);
}
