//! hyper's timer for one connection: one tokio sleep per connection.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// hyper's timer for one connection. hyper asks for a new sleep for every
/// request head it reads and drops it when the head is in; with a tokio
/// sleep each time that is an allocation, a timer-wheel insertion and a
/// removal per request (about 1,700 instructions, measured). This one
/// keeps one tokio sleep per connection and moves its deadline, which tokio
/// does with an atomic store when the deadline only grows. An HTTP/1 server
/// connection has at most one sleep at a time (the header read timeout), so
/// every handle shares it.
#[derive(Clone)]
pub(super) struct ConnectionTimer(Arc<std::sync::Mutex<std::pin::Pin<Box<tokio::time::Sleep>>>>);

impl Default for ConnectionTimer {
    fn default() -> Self {
        // Far off until hyper sets a deadline.
        let far = tokio::time::Instant::now() + Duration::from_secs(86_400 * 365);
        ConnectionTimer(Arc::new(std::sync::Mutex::new(Box::pin(
            tokio::time::sleep_until(far),
        ))))
    }
}

impl ConnectionTimer {
    fn set(&self, deadline: std::time::Instant) {
        let mut sleep = self.0.lock().unwrap_or_else(|p| p.into_inner());
        sleep.as_mut().reset(deadline.into());
    }
}

/// A handle on the connection's one sleep.
struct SharedSleep(Arc<std::sync::Mutex<std::pin::Pin<Box<tokio::time::Sleep>>>>);

impl Future for SharedSleep {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let mut sleep = self.0.lock().unwrap_or_else(|p| p.into_inner());
        sleep.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for SharedSleep {}

impl hyper::rt::Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> std::pin::Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(std::time::Instant::now() + duration)
    }

    fn sleep_until(
        &self,
        deadline: std::time::Instant,
    ) -> std::pin::Pin<Box<dyn hyper::rt::Sleep>> {
        self.set(deadline);
        Box::pin(SharedSleep(Arc::clone(&self.0)))
    }

    fn reset(
        &self,
        _sleep: &mut std::pin::Pin<Box<dyn hyper::rt::Sleep>>,
        new_deadline: std::time::Instant,
    ) {
        self.set(new_deadline);
    }
}
