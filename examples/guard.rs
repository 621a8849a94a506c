//! A custom `Guard`: a step of your own after the built-in ones, for every
//! route, the 404 and the 405 included.
//!
//! `cargo run --example guard` (127.0.0.1:8325), then:
//!
//! ```text
//! curl -s -H 'Authorization: Bearer key-ann' -H 'x-tenant: acme' localhost:8325/v1/orders
//! curl -s -H 'Authorization: Bearer key-ann' -H 'x-tenant: other' localhost:8325/v1/orders   # 403
//! ```
//!
//! The guard reads the caller the authentication step established
//! (`Caller::of`) and the route it is about to reach (`Target`), and may
//! answer in the handler's place.

use std::process::ExitCode;

use auth_runtime::{ApiError, App, Caller, Guard, Target, async_trait, webmethod};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// A request for a tenant is served only to that tenant's members: the
/// `x-tenant` header must be one of the caller's `tenants`.
struct TenantHeader;

#[async_trait]
impl Guard for TenantHeader {
    async fn check(&self, target: Target, request: &mut Request) -> Result<(), Response> {
        // Public routes (and callers without a user) are not this guard's business.
        if !target.requires_authentication() {
            return Ok(());
        }
        let Some(user) = Caller::of(request.extensions()).and_then(Caller::user) else {
            return Ok(());
        };
        let tenant = request
            .headers()
            .get("x-tenant")
            .and_then(|v| v.to_str().ok());
        let member = tenant.is_some_and(|t| {
            user.attributes
                .get("tenants")
                .is_some_and(|tenants| tenants.iter().any(|m| m == t))
        });
        if member {
            Ok(())
        } else {
            let refusal = ApiError::new(
                StatusCode::FORBIDDEN,
                "x-tenant must name one of your tenants",
            );
            Err(refusal.into_response())
        }
    }
}

#[webmethod(route = "/orders", method = "GET", level = "v1")]
async fn orders() -> &'static str {
    "[]\n"
}

const CONFIG: &str = r#"
server:
  port: 8325
  auth:
    provider_config:
      type: api_keys
      keys:
        - {key: key-ann, principal: ann, attributes: {tenants: [acme]}}
"#;

#[tokio::main]
async fn main() -> ExitCode {
    App::new()
        .guard(TenantHeader)
        .default_config(CONFIG, None)
        .run()
        .await
}
