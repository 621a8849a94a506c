//! One span per request, and its id (DESIGN.md "Operations"): `x-request-id`
//! from a trusted proxy (`server.quota.trusted_proxies`), else one made here;
//! echoed on the answer and a field of the span, so every log line of the
//! request carries it. The span also carries the method, the route template,
//! the principal once authenticated, the status and the latency.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue};
use axum::response::Response;
use tracing::field::Empty;

use crate::serve::client_addr::{TrustedProxies, peer};

/// The header that carries the id, both ways.
pub(crate) const REQUEST_ID: &str = "x-request-id";

/// [`REQUEST_ID`] as a ready header name: a lookup or an insert by `&str`
/// parses and hashes the name on every request.
const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static(REQUEST_ID);

/// The id of the request, in its extensions for handlers.
#[derive(Clone, Debug)]
#[expect(
    clippy::exhaustive_structs,
    reason = "a newtype handlers destructure from their extensions; it never grows"
)]
pub struct RequestId(pub HeaderValue);

/// The request's id, for log lines (also on the request's span, when that
/// is on); empty when the request has none.
pub(crate) fn of<B>(request: &axum::http::Request<B>) -> &str {
    request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.0.to_str().ok())
        .unwrap_or("")
}

/// Random bytes in one id made here: 96 bits, 24 hex digits.
const ID_BYTES: usize = 12;

/// Ids drawn from the CSPRNG at once, per thread.
const BATCH: usize = 64;

/// One thread's batch of ids: the hex text of [`BATCH`] ids drawn at once,
/// handed out a slice at a time.
struct Batch {
    /// `BATCH` ids of `2 * ID_BYTES` hex digits each, in one allocation
    /// that the ids handed out share (dropped with the last of them).
    text: bytes::Bytes,
    /// The next unused id; `BATCH` when the batch needs a refill.
    next: usize,
}

thread_local! {
    static BATCHES: std::cell::RefCell<Batch> = const {
        std::cell::RefCell::new(Batch { text: bytes::Bytes::new(), next: BATCH })
    };
}

/// Every byte's two lower-case hex digits.
const HEX: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut table = [[0u8; 2]; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = [DIGITS[byte >> 4], DIGITS[byte & 0xf]];
        byte += 1;
    }
    table
};

/// `bytes` as lower-case hex digits into `out` (twice as long).
fn hex_into(bytes: &[u8], out: &mut [u8]) {
    for (byte, pair) in bytes.iter().zip(out.chunks_exact_mut(2)) {
        pair.copy_from_slice(&HEX[usize::from(*byte)]);
    }
}

/// The text of [`BATCH`] new ids, from the system's CSPRNG; `None` when it
/// fails.
fn draw_batch() -> Option<bytes::Bytes> {
    let mut raw = [0u8; ID_BYTES * BATCH];
    getrandom::fill(&mut raw).ok()?;
    let mut text = vec![0u8; 2 * ID_BYTES * BATCH];
    hex_into(&raw, &mut text);
    raw.fill(0);
    Some(bytes::Bytes::from(text))
}

/// An id made here: unpredictable (it says nothing about the requests
/// before or after it), 24 hex digits of bytes drawn from the operating
/// system's CSPRNG (`getrandom`) a batch at a time per thread, so a request
/// costs a slice of the batch's text (shared, no copy, no allocation: the
/// extension's copy and the answer's header share it too) and one system
/// call and one allocation per 64 ids. The batch's text stays in memory
/// until its last id is dropped; the ids are no secret (every answer and
/// log line carries its own), and the batch's ids not yet handed out are
/// held by this thread alone.
fn make_id() -> HeaderValue {
    let sliced = BATCHES.with_borrow_mut(|batch| {
        if batch.next == BATCH {
            batch.text = draw_batch()?;
            batch.next = 0;
        }
        let start = batch.next * 2 * ID_BYTES;
        let id = batch.text.slice(start..start + 2 * ID_BYTES);
        batch.next += 1;
        if batch.next == BATCH {
            // All handed out: the last ids release the text.
            batch.text = bytes::Bytes::new();
        }
        Some(id)
    });
    let text = match sliced {
        Some(text) => text,
        None => {
            // The system's random source failed (TLS would fail too): a
            // unique id still, from a counter, and said once.
            static FALLBACK: AtomicU64 = AtomicU64::new(0);
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                tracing::error!(target: "webmethod::request", "the random source failed: request ids are sequential");
            });
            let mut raw = [0u8; ID_BYTES];
            raw[4..].copy_from_slice(&FALLBACK.fetch_add(1, Ordering::Relaxed).to_be_bytes());
            let mut text = [0u8; 2 * ID_BYTES];
            hex_into(&raw, &mut text);
            bytes::Bytes::copy_from_slice(&text)
        }
    };
    HeaderValue::from_maybe_shared(text).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
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

/// The span and id of every request of a router (see [`traced`](Self::traced)).
#[derive(Clone)]
pub(crate) struct RequestIdLayer {
    trusted: Option<TrustedProxies>,
}

impl RequestIdLayer {
    pub(crate) fn new(trusted: Option<TrustedProxies>) -> Self {
        RequestIdLayer { trusted }
    }

    /// The proxy's id when the peer is a trusted proxy and the id is sane,
    /// else a new one. Of several headers the last is the proxy's (one that
    /// appends leaves the client's first): only that one is read.
    fn id(&self, request: &Request) -> HeaderValue {
        // No trusted proxy: no header to read.
        let Some(trusted) = &self.trusted else {
            return make_id();
        };
        let forwarded = request
            .headers()
            .get_all(&REQUEST_ID_HEADER)
            .iter()
            .next_back()
            .filter(|v| acceptable(v));
        match (forwarded, peer(request.extensions())) {
            (Some(id), Some(peer)) if trusted.contains(peer) => id.clone(),
            _ => make_id(),
        }
    }
}

impl RequestIdLayer {
    /// Gives `request` its id (in its extensions, for handlers) and its
    /// span, and calls `call` with it inside the span: the answer's future,
    /// polled inside the span, puts the id on the answer.
    #[inline]
    pub(crate) fn traced<F>(
        &self,
        mut request: Request,
        call: impl FnOnce(Request) -> F,
    ) -> Traced<F> {
        let id = self.id(&request);
        // Values from the request are quoted and escaped (`?`), so a path
        // or an id never starts a log line of its own.
        // At DEBUG, as tower-http's TraceLayer: a span costs every request
        // some 15,000 instructions under the fmt subscriber, so it is on
        // only when asked for (RUST_LOG=webmethod::request=debug). Its
        // fields are read only then.
        let span = tracing::debug_span!(
            target: "webmethod::request",
            "request",
            request_id = ?id,
            method = %request.method(),
            route = request
                .extensions()
                .get::<MatchedPath>()
                .map_or("<unmatched>", MatchedPath::as_str),
            principal = Empty,
            status = Empty,
            latency_ms = Empty,
        );
        request.extensions_mut().insert(RequestId(id.clone()));
        let future = {
            let _entered = span.enter();
            call(request)
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
            // `started` is set only when the span is on: nothing to record
            // (no field looked up by name) otherwise.
            if let Some(started) = this.started {
                this.span.record("status", response.status().as_u16());
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

/// Records the authenticated principal on the request's span. The span is
/// at DEBUG: below that level there is none, and no current span is looked
/// up.
#[inline]
pub(crate) fn record_principal(principal: &str) {
    if tracing::level_enabled!(tracing::Level::DEBUG) {
        tracing::Span::current().record("principal", principal);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_ids_are_distinct_and_proxied_ones_are_checked() {
        assert_ne!(make_id(), make_id());
        let id = make_id();
        assert_eq!(id.len(), 24);
        assert!(acceptable(&id));
        let mut out = [0u8; 4];
        hex_into(&[0xbe, 0x0f], &mut out);
        assert_eq!(out, *b"be0f");
        assert!(acceptable(&HeaderValue::from_static("abc-123_x.y:z")));
        for bad in ["", "has space", "semi;colon", "quote\"d"] {
            assert!(!acceptable(&HeaderValue::from_str(bad).unwrap()), "{bad}");
        }
        assert!(!acceptable(
            &HeaderValue::from_str(&"a".repeat(129)).unwrap()
        ));
    }

    #[test]
    fn made_ids_are_unpredictable() {
        // Several batches, across refills: no id shares its first or last
        // 8 hex digits with the one before it (a fixed prefix with a counter
        // shares the first 16; chance of a false alarm: 2^-32 per pair).
        let made: Vec<String> = (0..3 * BATCH)
            .map(|_| make_id().to_str().unwrap().to_owned())
            .collect();
        for pair in made.windows(2) {
            assert_ne!(pair[0][..8], pair[1][..8], "{pair:?}");
            assert_ne!(pair[0][16..], pair[1][16..], "{pair:?}");
        }
        let distinct: std::collections::HashSet<&String> = made.iter().collect();
        assert_eq!(distinct.len(), made.len());
        // Another thread draws its own bytes.
        let other = std::thread::spawn(make_id).join().unwrap();
        assert!(!made.iter().any(|id| id.as_str() == other));
    }
}
