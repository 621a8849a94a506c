use auth_runtime::{AuthenticatedUser, webmethod};

#[webmethod(route = "/me", method = "GET", require_authentication = false)]
async fn handler(user: AuthenticatedUser) -> &'static str {
    let _ = user;
    "ok"
}

fn main() {}
