//! A request body under its limits: the time its whole body has to arrive.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The body limits of every request.
#[derive(Clone, Copy)]
pub(super) struct BodyLimits {
    pub(super) max_bytes: u64,
    pub(super) read_timeout: Duration,
}

/// The request body was not all received within `body_read_timeout`.
#[derive(Debug, thiserror::Error)]
#[error("request body not received within server.limits.body_read_timeout")]
struct BodyReadTimeout;

pin_project_lite::pin_project! {
    /// A request body that must end by `deadline`. The timer is armed only
    /// when the body makes the reader wait: a body already received costs
    /// no timer.
    pub(super) struct TimedBody {
        #[pin]
        body: hyper::body::Incoming,
        deadline: tokio::time::Instant,
        #[pin]
        sleep: Option<tokio::time::Sleep>,
        timed_out: Arc<AtomicBool>,
    }
}

impl TimedBody {
    /// `body`, which must end within `read_timeout` from now, and the flag
    /// set when it did not.
    pub(super) fn new(
        body: hyper::body::Incoming,
        read_timeout: Duration,
    ) -> (TimedBody, Arc<AtomicBool>) {
        let timed_out = Arc::new(AtomicBool::new(false));
        let body = TimedBody {
            body,
            deadline: tokio::time::Instant::now() + read_timeout,
            sleep: None,
            timed_out: timed_out.clone(),
        };
        (body, timed_out)
    }
}

impl hyper::body::Body for TimedBody {
    type Data = bytes::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, axum::BoxError>>> {
        let this = self.project();
        if let std::task::Poll::Ready(frame) = this.body.poll_frame(cx) {
            return std::task::Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let mut sleep = this.sleep;
        if sleep.is_none() {
            sleep.set(Some(tokio::time::sleep_until(*this.deadline)));
        }
        if let Some(sleep) = sleep.as_pin_mut()
            && sleep.poll(cx).is_ready()
        {
            this.timed_out.store(true, Ordering::Relaxed);
            return std::task::Poll::Ready(Some(Err(BodyReadTimeout.into())));
        }
        std::task::Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}
