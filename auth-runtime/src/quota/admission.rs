//! Admission: each request is charged, atomically, to one subject before it
//! goes further (DESIGN.md "Request path"):
//! - every request first to its client address, before any provider call, so
//!   N concurrent bad tokens from one address reach the provider at most
//!   `anonymous_max_requests` times, whatever the provider's latency;
//! - a request whose caller then authenticates gives that count back and is
//!   charged to its principal instead (the principal's limit governs
//!   authenticated callers). While its authentication is in flight it holds
//!   one of the address's slots;
//! - a request from an address over its limit is charged to its principal
//!   when its credentials are accepted without a provider call (API keys, a
//!   validation-cache hit): its over-limit address count is given back, so
//!   the principal pays and the address is not charged. Anything else (no
//!   credentials, rejected ones, or ones only a provider call could accept)
//!   gets the address's 429, so the provider is still reached at most
//!   `anonymous_max_requests` times per address and window.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{ClientAddr, Quota, StoreError, Subject, Window};
use crate::extract::error::ApiError;
use crate::serve::client_addr;

/// What a request was charged: the `RateLimit-*` headers of its answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Charge {
    limit: u64,
    count: u64,
    window: Window,
}

impl Charge {
    /// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (seconds).
    pub(crate) fn write(&self, headers: &mut HeaderMap) {
        headers.insert("ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert(
            "ratelimit-remaining",
            HeaderValue::from(self.limit.saturating_sub(self.count)),
        );
        headers.insert(
            "ratelimit-reset",
            HeaderValue::from(self.window.reset_secs()),
        );
    }
}

impl Quota {
    /// The client address: the connection's peer, or what a trusted proxy
    /// forwarded. Without a peer address the limit cannot be applied: 500.
    pub(crate) fn client(&self, request: &Request) -> Result<ClientAddr, ApiError> {
        match client_addr::peer(request.extensions()) {
            Some(peer) => Ok(self.trusted_proxies.client(peer, request.headers())),
            None => {
                tracing::error!(target: "webmethod::quota", "no client address: serve the router with into_make_service_with_connect_info::<SocketAddr>() (App::serve does)");
                Err(service_error())
            }
        }
    }

    /// Charges one request to its client address: 429 over the limit, 500
    /// when the store fails. Counted either way: an over-limit request whose
    /// principal then pays gives it back ([`charge_principal`](Self::charge_principal)).
    pub(crate) async fn charge_address(
        &self,
        client: ClientAddr,
        window: Window,
    ) -> Result<Charge, Refused> {
        self.charge(&Subject::Address(client), window).await
    }

    /// The caller authenticated: the address's count goes back and the
    /// principal is charged.
    pub(crate) async fn charge_principal(
        &self,
        client: ClientAddr,
        principal: &str,
        window: Window,
    ) -> Result<Charge, Response> {
        let address = Quota::key(&Subject::Address(client));
        if let Err(e) = self.store.release(&address, window).await {
            return Err(store_failed(&e));
        }
        self.charge(&Subject::Principal(principal), window)
            .await
            .map_err(Refused::into_response)
    }

    async fn charge(&self, subject: &Subject<'_>, window: Window) -> Result<Charge, Refused> {
        let limit = self.limit(subject);
        let (outcome, answer) = match self.store.hit(&Quota::key(subject), window).await {
            Ok(count) if count <= limit => (
                "admitted",
                Ok(Charge {
                    limit,
                    count,
                    window,
                }),
            ),
            Ok(_) => ("rejected", Err(Refused::Exceeded(exceeded(limit, window)))),
            Err(e) => ("error", Err(Refused::Failed(store_failed(&e)))),
        };
        if let Some(metrics) = &self.metrics {
            let kind = match subject {
                Subject::Address(_) => "address",
                Subject::Principal(_) => "principal",
            };
            metrics.quota(kind, outcome);
        }
        answer
    }
}

/// Why a charge was refused, with its answer.
pub(crate) enum Refused {
    /// Over the limit: 429.
    Exceeded(Response),
    /// The store failed: 500.
    Failed(Response),
}

impl Refused {
    /// The answer.
    pub(crate) fn into_response(self) -> Response {
        match self {
            Refused::Exceeded(answer) | Refused::Failed(answer) => answer,
        }
    }
}

/// 429 with `Retry-After` and the `RateLimit-*` headers.
fn exceeded(limit: u64, window: Window) -> Response {
    let mut response =
        ApiError::new(StatusCode::TOO_MANY_REQUESTS, "Quota exceeded").into_response();
    let headers = response.headers_mut();
    headers.insert("retry-after", HeaderValue::from(window.reset_secs()));
    Charge {
        limit,
        count: limit,
        window,
    }
    .write(headers);
    response
}

fn store_failed(e: &StoreError) -> Response {
    tracing::error!(target: "webmethod::quota", error = ?e.to_string(), "quota store failed");
    service_error().into_response()
}

fn service_error() -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "Quota service error")
}
