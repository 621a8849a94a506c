//! One span per request, and its id (DESIGN.md "Operations"): `x-request-id`
//! from a trusted proxy (`server.quota.trusted_proxies`), else one made here;
//! echoed on the answer and a field of the span, so every log line of the
//! request carries it. The span also carries the method, the route template,
//! the principal once authenticated, the status and the latency.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use tracing::field::Empty;

use crate::client_addr::{TrustedProxies, peer};

/// The header that carries the id, both ways.
pub const REQUEST_ID: &str = "x-request-id";

/// [`REQUEST_ID`] as a ready header name: a lookup or an insert by `&str`
/// parses and hashes the name on every request.
const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static(REQUEST_ID);

/// The id of the request, in its extensions for handlers.
#[derive(Clone, Debug)]
pub struct RequestId(pub HeaderValue);

/// Ids made here: a per-process random prefix and a counter, unique without
/// coordination and cheap to make.
struct Ids {
    /// The prefix, as the first 16 hex digits of every id.
    prefix: [u8; 16],
    next: AtomicU64,
}

/// `value` as `N` lower-case hex digits, most significant first.
fn hex<const N: usize>(mut value: u64) -> [u8; N] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'0'; N];
    for digit in out.iter_mut().rev() {
        *digit = DIGITS[(value & 0xf) as usize];
        value >>= 4;
    }
    out
}

impl Ids {
    fn new() -> Ids {
        let mut seed = [0u8; 8];
        // Unpredictable is not needed, distinct across restarts is.
        let prefix = match aws_lc_rs::rand::fill(&mut seed) {
            Ok(()) => u64::from_le_bytes(seed),
            Err(_) => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
        };
        Ids {
            prefix: hex(prefix),
            next: AtomicU64::new(0),
        }
    }

    /// 24 hex digits: the prefix and the counter's low 32 bits (no `format!`:
    /// this runs on every request).
    fn make(&self) -> HeaderValue {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut text = [0u8; 24];
        text[..16].copy_from_slice(&self.prefix);
        text[16..].copy_from_slice(&hex::<8>(n & 0xffff_ffff));
        HeaderValue::from_bytes(&text).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
    }
}

/// An id a proxy may hand on: 1 to 128 characters of `[A-Za-z0-9._:-]`
/// (nothing a log or a header could misread).
fn acceptable(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    (1..=128).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b))
}

/// The span and id around every route of a router.
#[derive(Clone)]
pub(crate) struct RequestIdLayer {
    trusted: Option<TrustedProxies>,
    ids: Arc<Ids>,
}

impl RequestIdLayer {
    pub(crate) fn new(trusted: Option<TrustedProxies>) -> Self {
        RequestIdLayer {
            trusted,
            ids: Arc::new(Ids::new()),
        }
    }

    /// The proxy's id when the peer is a trusted proxy and the id is sane,
    /// else a new one.
    fn id(&self, request: &Request) -> HeaderValue {
        let forwarded = request
            .headers()
            .get(&REQUEST_ID_HEADER)
            .filter(|v| acceptable(v));
        match (forwarded, &self.trusted, peer(request.extensions())) {
            (Some(id), Some(trusted), Some(peer)) if trusted.contains(peer) => id.clone(),
            _ => self.ids.make(),
        }
    }
}

impl<S> tower::Layer<S> for RequestIdLayer {
    type Service = RequestIdService<S>;

    fn layer(&self, inner: S) -> RequestIdService<S> {
        RequestIdService {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
pub(crate) struct RequestIdService<S> {
    inner: S,
    layer: RequestIdLayer,
}

impl<S> tower::Service<Request> for RequestIdService<S>
where
    S: tower::Service<Request, Response = Response> + Send,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Traced<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let id = self.layer.id(&request);
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or("<unmatched>", MatchedPath::as_str);
        // Values from the request are quoted and escaped (`?`), so a path
        // or an id never starts a log line of its own.
        // At DEBUG, as tower-http's TraceLayer: a span costs every request
        // some 15,000 instructions under the fmt subscriber, so it is on
        // only when asked for (RUST_LOG=webmethod::request=debug).
        let span = tracing::debug_span!(
            target: "webmethod::request",
            "request",
            request_id = ?id,
            method = %request.method(),
            route = route,
            principal = Empty,
            status = Empty,
            latency_ms = Empty,
        );
        request.extensions_mut().insert(RequestId(id.clone()));
        let future = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        let started = (!span.is_disabled()).then(Instant::now);
        Traced {
            future,
            span,
            id: Some(id),
            started,
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer's future, polled inside the request's span; the status,
    /// the latency and the id go on the span and the answer when it is ready.
    pub(crate) struct Traced<F> {
        #[pin]
        future: F,
        span: tracing::Span,
        id: Option<HeaderValue>,
        // Read only for the span's latency: no clock read when it is off.
        started: Option<Instant>,
    }
}

impl<F, E> Future for Traced<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = F::Output;

    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let mut output = std::task::ready!(this.future.poll(cx));
        if let Ok(response) = &mut output {
            this.span.record("status", response.status().as_u16());
            if let Some(started) = this.started {
                this.span
                    .record("latency_ms", started.elapsed().as_secs_f64() * 1000.0);
            }
            if let Some(id) = this.id.take() {
                response.headers_mut().insert(REQUEST_ID_HEADER, id);
            }
        }
        Poll::Ready(output)
    }
}

/// Records the authenticated principal on the request's span.
pub(crate) fn record_principal(principal: &str) {
    tracing::Span::current().record("principal", principal);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_ids_are_distinct_and_proxied_ones_are_checked() {
        let ids = Ids::new();
        assert_ne!(ids.make(), ids.make());
        let id = ids.make();
        assert_eq!(id.len(), 24);
        assert!(id.to_str().unwrap().ends_with("00000002"), "{id:?}");
        assert!(acceptable(&id));
        assert_eq!(hex::<4>(0xbeef), *b"beef");
        assert_eq!(hex::<4>(0x1_0000), *b"0000");
        assert!(acceptable(&HeaderValue::from_static("abc-123_x.y:z")));
        for bad in ["", "has space", "semi;colon", "quote\"d"] {
            assert!(!acceptable(&HeaderValue::from_str(bad).unwrap()), "{bad}");
        }
        assert!(!acceptable(
            &HeaderValue::from_str(&"a".repeat(129)).unwrap()
        ));
    }
}
