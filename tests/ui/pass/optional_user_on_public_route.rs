// A public route may take the caller when there is one.
use auth_runtime::{AuthenticatedUser, webmethod}; use auth_runtime::route::{RouteTable};

#[webmethod(route = "/whoami", method = "GET", require_authentication = false)]
async fn whoami(user: Option<AuthenticatedUser>) -> &'static str {
    match user {
        Some(_) => "someone",
        None => "anonymous",
    }
}

fn main() {
    let table = RouteTable::from_registry().expect("a valid route table");
    let entry = table.entries()[0];
    assert_eq!(entry.path, "/whoami");
    assert!(!entry.require_authentication);
    assert_eq!(entry.required_scope, None);
}
