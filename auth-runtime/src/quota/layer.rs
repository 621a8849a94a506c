//! The quota step: the first of the per-route stack, wrapping authentication
//! so that (DESIGN.md "Request path"):
//! - an anonymous request (public route, or authentication off) counts
//!   against its client address;
//! - a request for a protected route from an address already over its limit
//!   gets 429 before the provider is called; a failed authentication counts
//!   against the address; a successful one counts against the principal.

use std::net::IpAddr;
use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{Quota, Subject};
use crate::authn::Authentication;
use crate::client_addr;
use crate::error::ApiError;
use crate::guard::{Guard, Target};
use crate::principal::User;
use crate::quota::Window;

/// Quota around (optional) authentication.
pub struct QuotaGuard {
    quota: Arc<Quota>,
    authentication: Option<Authentication>,
}

impl QuotaGuard {
    pub fn new(quota: Arc<Quota>, authentication: Option<Authentication>) -> Self {
        QuotaGuard {
            quota,
            authentication,
        }
    }

    /// Counts one request for `subject`; `Err` is the answer when over the
    /// limit (429) or when the store fails (500).
    async fn charge(&self, subject: Subject<'_>, window: Window) -> Result<(), Response> {
        let limit = self.quota.limit(&subject);
        let key = Quota::key(&subject);
        match self.quota.store.hit(&key, window).await {
            Ok(count) if count <= limit => Ok(()),
            Ok(_) => Err(exceeded(limit, window)),
            Err(e) => Err(store_failed(&e)),
        }
    }

    /// Whether the address is already over its anonymous limit.
    async fn address_over(&self, ip: IpAddr, window: Window) -> Result<bool, Response> {
        let key = Quota::key(&Subject::Address(ip));
        match self.quota.store.peek(&key, window).await {
            Ok(count) => Ok(count >= self.quota.anonymous_max_requests),
            Err(e) => Err(store_failed(&e)),
        }
    }
}

#[async_trait]
impl Guard for QuotaGuard {
    async fn check(&self, target: Target, request: &mut Request) -> Result<(), Response> {
        let Some(peer) = client_addr::peer(request.extensions()) else {
            // Without the peer address the anonymous limit cannot be applied:
            // fail closed, and say how to fix it.
            tracing::error!(target: "webmethod::quota", "no client address: serve the router with into_make_service_with_connect_info::<SocketAddr>() (App::serve does)");
            return Err(
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Quota service error")
                    .into_response(),
            );
        };
        let ip = self.quota.trusted_proxies.client(peer, request.headers());
        let window = Window::current(self.quota.period);
        let authentication = match &self.authentication {
            Some(a) if target.requires_authentication() => a,
            // Anonymous: public route, or authentication off.
            _ => return self.charge(Subject::Address(ip), window).await,
        };
        if self.address_over(ip, window).await? {
            return Err(exceeded(self.quota.anonymous_max_requests, window));
        }
        match authentication.check(target, request).await {
            Ok(()) => {
                let user = request.extensions().get::<Arc<User>>().cloned();
                match user {
                    Some(user) => {
                        self.charge(Subject::Principal(&user.principal), window)
                            .await
                    }
                    None => self.charge(Subject::Address(ip), window).await,
                }
            }
            Err(answer) => {
                // A failed attempt counts against the address; its own answer
                // stands unless the store failed.
                if let Err(e) = self
                    .quota
                    .store
                    .hit(&Quota::key(&Subject::Address(ip)), window)
                    .await
                {
                    return Err(store_failed(&e));
                }
                Err(answer)
            }
        }
    }
}

/// 429 with `Retry-After` and the `RateLimit-*` headers.
fn exceeded(limit: u64, window: Window) -> Response {
    let reset = window.resets_in.as_secs() + u64::from(window.resets_in.subsec_nanos() > 0);
    let mut response =
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Quota exceeded").into_response();
    let headers = response.headers_mut();
    headers.insert("retry-after", HeaderValue::from(reset));
    headers.insert("ratelimit-limit", HeaderValue::from(limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(0u64));
    headers.insert("ratelimit-reset", HeaderValue::from(reset));
    response
}

fn store_failed(e: &super::StoreError) -> Response {
    tracing::error!(target: "webmethod::quota", error = %e, "quota store failed");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Quota service error").into_response()
}
