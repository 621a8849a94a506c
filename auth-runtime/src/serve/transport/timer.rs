//! hyper's timer for one connection: one tokio sleep per connection.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// hyper's timer for one connection. hyper asks for a new sleep for every
/// request head it reads and drops it when the head is in; with a tokio
/// sleep each time that is an allocation, a timer-wheel insertion and a
/// removal per request (about 1,700 instructions, measured). This one
/// keeps one tokio sleep per connection. An HTTP/1 server connection has at
/// most one sleep at a time (the header read timeout), so every handle
/// shares it.
///
/// A deadline later than the one the tokio sleep is armed for is only
/// written down: moving a registered timer costs a clock conversion and a
/// wheel update on every request, while a keep-alive connection's deadline
/// only ever moves later. When the armed sleep fires before the deadline
/// written down, the poll re-arms it for that deadline and waits on; an
/// earlier deadline re-arms it at once. Either way the sleep ends at the
/// latest deadline hyper set, never before and never after.
#[derive(Clone)]
pub(super) struct ConnectionTimer(Arc<std::sync::Mutex<Shared>>);

/// The connection's one tokio sleep and the deadline hyper last set.
struct Shared {
    /// Armed for `armed`, a deadline at most `wanted`.
    sleep: std::pin::Pin<Box<tokio::time::Sleep>>,
    armed: tokio::time::Instant,
    wanted: tokio::time::Instant,
}

impl Default for ConnectionTimer {
    fn default() -> Self {
        // Far off until hyper sets a deadline.
        let far = tokio::time::Instant::now() + Duration::from_secs(86_400 * 365);
        ConnectionTimer(Arc::new(std::sync::Mutex::new(Shared {
            sleep: Box::pin(tokio::time::sleep_until(far)),
            armed: far,
            wanted: far,
        })))
    }
}

impl ConnectionTimer {
    fn set(&self, deadline: std::time::Instant) {
        let deadline = tokio::time::Instant::from_std(deadline);
        let mut shared = self.0.lock().unwrap_or_else(|p| p.into_inner());
        shared.wanted = deadline;
        if deadline < shared.armed {
            shared.sleep.as_mut().reset(deadline);
            shared.armed = deadline;
        }
    }
}

/// A handle on the connection's one sleep.
struct SharedSleep(Arc<std::sync::Mutex<Shared>>);

impl Future for SharedSleep {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let mut guard = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let shared = &mut *guard;
        loop {
            match shared.sleep.as_mut().poll(cx) {
                std::task::Poll::Ready(()) if shared.wanted > shared.armed => {
                    // Fired for a deadline hyper has since moved later.
                    shared.sleep.as_mut().reset(shared.wanted);
                    shared.armed = shared.wanted;
                }
                other => return other,
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Timer;

    /// Whether `sleep` is over, polled once now.
    async fn over(sleep: &mut std::pin::Pin<Box<dyn hyper::rt::Sleep>>) -> bool {
        std::future::poll_fn(|cx| std::task::Poll::Ready(sleep.as_mut().poll(cx).is_ready())).await
    }

    fn after(seconds: u64) -> std::time::Instant {
        (tokio::time::Instant::now() + Duration::from_secs(seconds)).into_std()
    }

    /// A deadline moved later (the next request of a keep-alive connection)
    /// is kept, not the one the sleep was first armed for: the sleep ends
    /// at the latest deadline, not before and not after.
    #[tokio::test(start_paused = true)]
    async fn a_later_deadline_holds_the_sleep_until_it() {
        let timer = ConnectionTimer::default();
        let mut first = timer.sleep_until(after(2));
        assert!(!over(&mut first).await);
        tokio::time::advance(Duration::from_secs(1)).await;
        drop(first);
        // The next head: due 2 s from now, 3 s from the start.
        let mut second = timer.sleep_until(after(2));
        tokio::time::advance(Duration::from_millis(1500)).await;
        assert!(!over(&mut second).await, "ended at the first deadline");
        tokio::time::advance(Duration::from_millis(400)).await;
        assert!(!over(&mut second).await);
        tokio::time::advance(Duration::from_millis(200)).await;
        assert!(
            over(&mut second).await,
            "did not end at the second deadline"
        );
    }

    /// An earlier deadline re-arms the sleep at once.
    #[tokio::test(start_paused = true)]
    async fn an_earlier_deadline_ends_the_sleep_then() {
        let timer = ConnectionTimer::default();
        let mut sleep = timer.sleep_until(after(10));
        assert!(!over(&mut sleep).await);
        timer.reset(&mut sleep, after(1));
        tokio::time::advance(Duration::from_millis(900)).await;
        assert!(!over(&mut sleep).await);
        tokio::time::advance(Duration::from_millis(200)).await;
        assert!(over(&mut sleep).await);
    }
}
