//! A value an identity provider serves, fetched when needed and refreshed on a
//! schedule: the JWKS keys ([`super::jwks`]) and the OIDC discovery document
//! ([`super::discovery`]) share it.
//!
//! - One fetch in flight: everyone who asked while it ran takes its outcome.
//! - A failed fetch (or one that took longer than `timeout`) starts the
//!   cooldown; so does an out-of-schedule fetch (a token naming an unknown
//!   `kid`), failed or not. No fetch starts within it, so neither an outage
//!   nor a flood of made-up kids hammers the provider or queues requests.
//! - The last good value keeps serving while the provider fails.
//! - One WARN line when an outage begins, one INFO line when it ends, not one
//!   per request or per fetch.

use std::fmt::Display;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// The cooldown after a failed or out-of-schedule fetch: no fetch starts
/// within it.
pub(crate) const COOLDOWN: Duration = Duration::from_secs(5);

/// A good value and when it was fetched.
pub(crate) struct Fetched<T> {
    pub(crate) value: Arc<T>,
    pub(crate) at: Instant,
}

impl<T> Clone for Fetched<T> {
    fn clone(&self) -> Self {
        Fetched {
            value: Arc::clone(&self.value),
            at: self.at,
        }
    }
}

/// Why a fetch is asked for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Ask {
    /// None yet, or the value is older than its period: fetched unless the
    /// last fetch failed within the cooldown.
    Due,
    /// Out of schedule (a token names a kid the keys lack): fetched unless a
    /// failed or out-of-schedule fetch ended within the cooldown; starts the
    /// cooldown itself.
    OutOfSchedule,
}

/// What a call to [`Refresher::refresh`] leaves.
pub(crate) struct Refreshed<T> {
    /// The last good value, fresh from this fetch when it succeeded.
    pub(crate) value: Option<Fetched<T>>,
    /// Whether the last fetch, this one or an earlier one, failed.
    pub(crate) failing: bool,
    /// `Some(succeeded)` when this call ran the fetch itself.
    pub(crate) fetched: Option<bool>,
}

/// The last fetch, successful or not.
#[derive(Default)]
struct LastFetch {
    ended_at: Option<Instant>,
    failed: bool,
    /// The end of the last fetch that failed or was out of schedule.
    cooldown_from: Option<Instant>,
}

/// One value from a provider: the last good one, and the rules for fetching
/// the next (see the module's documentation).
pub(crate) struct Refresher<T> {
    /// What is fetched, for the log: "JWKS", "OIDC discovery".
    what: &'static str,
    /// Where from, for the log (credentials already left out).
    source: String,
    /// A value older than this is due for a refresh.
    period: Duration,
    /// The longest a fetch may take, answer included.
    timeout: Duration,
    cooldown: Duration,
    current: RwLock<Option<Fetched<T>>>,
    /// Held while a fetch runs: one at a time.
    fetches: tokio::sync::Mutex<LastFetch>,
    /// Whether the outage now going on was logged.
    reported: AtomicBool,
}

impl<T> Refresher<T> {
    /// No value yet. `source` is shown in the log as is: leave credentials out.
    pub(crate) fn new(
        what: &'static str,
        source: impl Display,
        period: Duration,
        timeout: Duration,
        cooldown: Duration,
    ) -> Self {
        Refresher {
            what,
            source: source.to_string(),
            period,
            timeout,
            cooldown,
            current: RwLock::new(None),
            fetches: tokio::sync::Mutex::new(LastFetch::default()),
            reported: AtomicBool::new(false),
        }
    }

    /// The last good value, if any.
    pub(crate) fn current(&self) -> Option<Fetched<T>> {
        self.current
            .read()
            .map_or_else(|p| p.into_inner().clone(), |v| v.clone())
    }

    /// Whether `value` was fetched within the period.
    pub(crate) fn is_fresh(&self, value: &Fetched<T>) -> bool {
        value.at.elapsed() < self.period
    }

    /// Runs `fetch` (bounded by the timeout) unless a fetch ended while we
    /// waited for our turn (its outcome is ours), the value needs none, or
    /// the cooldown holds. `fetch` is not polled when it does not run.
    pub(crate) async fn refresh<F>(&self, ask: Ask, fetch: F) -> Refreshed<T>
    where
        F: Future<Output = Result<T, String>>,
    {
        let asked_at = Instant::now();
        let mut last = self.fetches.lock().await;
        let known = self.current();
        // A fetch that ended while we waited for the lock answers us too.
        let answered = last.ended_at.is_some_and(|at| at >= asked_at);
        let cooling = last
            .cooldown_from
            .is_some_and(|at| at.elapsed() < self.cooldown);
        let run = !answered
            && match ask {
                Ask::Due => {
                    let due = known.as_ref().is_none_or(|v| !self.is_fresh(v));
                    due && !(cooling && last.failed)
                }
                Ask::OutOfSchedule => !cooling,
            };
        if !run {
            return Refreshed {
                value: known,
                failing: last.failed,
                fetched: None,
            };
        }
        let outcome = match tokio::time::timeout(self.timeout, fetch).await {
            Ok(outcome) => outcome,
            Err(_) => Err(format!("no answer within {:?}", self.timeout)),
        };
        let now = Instant::now();
        last.ended_at = Some(now);
        last.failed = outcome.is_err();
        if last.failed || ask == Ask::OutOfSchedule {
            last.cooldown_from = Some(now);
        }
        match outcome {
            Ok(value) => {
                let fresh = Fetched {
                    value: Arc::new(value),
                    at: now,
                };
                match self.current.write() {
                    Ok(mut current) => *current = Some(fresh.clone()),
                    Err(poisoned) => *poisoned.into_inner() = Some(fresh.clone()),
                }
                if self.reported.swap(false, Ordering::AcqRel) {
                    tracing::info!(
                        target: "webmethod::auth",
                        source = %self.source,
                        "{} fetch succeeded again",
                        self.what
                    );
                }
                Refreshed {
                    value: Some(fresh),
                    failing: false,
                    fetched: Some(true),
                }
            }
            Err(reason) => {
                if !self.reported.swap(true, Ordering::AcqRel) {
                    tracing::warn!(
                        target: "webmethod::auth",
                        source = %self.source,
                        reason = ?reason,
                        have_last_good = known.is_some(),
                        "{} fetch failed; the last good one keeps serving (503 without one), \
                         a fetch at most every {:?} until it succeeds",
                        self.what,
                        self.cooldown
                    );
                }
                Refreshed {
                    value: known,
                    failing: true,
                    fetched: Some(false),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;

    const LONG: Duration = Duration::from_secs(3600);

    fn refresher(period: Duration, timeout: Duration, cooldown: Duration) -> Refresher<u32> {
        Refresher::new("test value", "test source", period, timeout, cooldown)
    }

    /// Counts its fetches and answers what it is told.
    #[derive(Default)]
    struct Provider {
        fetches: AtomicUsize,
        in_flight: AtomicUsize,
        most_in_flight: AtomicUsize,
    }

    impl Provider {
        async fn fetch(
            &self,
            answer: Result<u32, String>,
            gate: Option<&tokio::sync::Semaphore>,
        ) -> Result<u32, String> {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most_in_flight.fetch_max(now, Ordering::SeqCst);
            if let Some(gate) = gate {
                let _permit = gate.acquire().await.unwrap();
            }
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            answer
        }

        fn fetches(&self) -> usize {
            self.fetches.load(Ordering::SeqCst)
        }
    }

    /// Many callers at once, the fetch held open until all have asked: one
    /// fetch, and every caller gets its outcome.
    async fn concurrent(answer: Result<u32, String>) -> (Arc<Provider>, Vec<Refreshed<u32>>) {
        let refresher = Arc::new(refresher(LONG, LONG, LONG));
        let provider = Arc::new(Provider::default());
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        let callers: Vec<_> = (0..16)
            .map(|_| {
                let (refresher, provider, gate) =
                    (refresher.clone(), provider.clone(), gate.clone());
                let answer = answer.clone();
                tokio::spawn(async move {
                    refresher
                        .refresh(Ask::Due, provider.fetch(answer, Some(&gate)))
                        .await
                })
            })
            .collect();
        // Let the first fetch start and the others queue behind it; a caller
        // that comes later is answered without a fetch all the same.
        let started = Instant::now();
        while provider.fetches() == 0 {
            assert!(started.elapsed() < Duration::from_secs(30), "no fetch");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        gate.add_permits(1000);
        let mut results = Vec::new();
        for caller in callers {
            results.push(caller.await.unwrap());
        }
        (provider, results)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_callers_share_one_fetch() {
        let (provider, results) = concurrent(Ok(7)).await;
        assert_eq!(provider.fetches(), 1);
        assert_eq!(provider.most_in_flight.load(Ordering::SeqCst), 1);
        assert_eq!(results.iter().filter(|r| r.fetched.is_some()).count(), 1);
        for result in results {
            assert_eq!(result.value.map(|v| *v.value), Some(7));
            assert!(!result.failing);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_callers_during_an_outage_share_one_failed_fetch() {
        let (provider, results) = concurrent(Err("down".into())).await;
        assert_eq!(provider.fetches(), 1);
        assert_eq!(provider.most_in_flight.load(Ordering::SeqCst), 1);
        for result in results {
            assert!(result.value.is_none());
            assert!(result.failing);
        }
    }

    #[tokio::test]
    async fn a_failed_fetch_starts_the_cooldown() {
        let refresher = refresher(LONG, LONG, LONG);
        let provider = Provider::default();
        let first = refresher
            .refresh(Ask::Due, provider.fetch(Err("down".into()), None))
            .await;
        assert_eq!(first.fetched, Some(false));
        for ask in [Ask::Due, Ask::OutOfSchedule] {
            let again = refresher.refresh(ask, provider.fetch(Ok(1), None)).await;
            assert_eq!(again.fetched, None, "{ask:?}");
            assert!(again.failing && again.value.is_none(), "{ask:?}");
        }
        assert_eq!(provider.fetches(), 1);
    }

    #[tokio::test]
    async fn a_fetch_that_hangs_fails_at_the_timeout_and_starts_the_cooldown() {
        let refresher = refresher(LONG, Duration::from_millis(100), LONG);
        let provider = Provider::default();
        let never = tokio::sync::Semaphore::new(0);
        let first = tokio::time::timeout(
            Duration::from_secs(30),
            refresher.refresh(Ask::Due, provider.fetch(Ok(1), Some(&never))),
        )
        .await
        .expect("the fetch's timeout ends it");
        assert_eq!(first.fetched, Some(false));
        let again = refresher
            .refresh(Ask::Due, provider.fetch(Ok(1), None))
            .await;
        assert_eq!(again.fetched, None);
        assert!(again.failing);
        assert_eq!(provider.fetches(), 1);
    }

    #[tokio::test]
    async fn after_the_cooldown_a_fetch_runs_again() {
        let refresher = refresher(LONG, LONG, Duration::from_millis(50));
        let provider = Provider::default();
        refresher
            .refresh(Ask::Due, provider.fetch(Err("down".into()), None))
            .await;
        // Ten times the cooldown: a loaded machine cannot make this early.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let again = refresher
            .refresh(Ask::Due, provider.fetch(Ok(3), None))
            .await;
        assert_eq!(again.fetched, Some(true));
        assert_eq!(again.value.map(|v| *v.value), Some(3));
        assert_eq!(provider.fetches(), 2);
    }

    #[tokio::test]
    async fn a_successful_fetch_on_schedule_starts_no_cooldown_but_one_out_of_schedule_does() {
        let refresher = refresher(LONG, LONG, LONG);
        let provider = Provider::default();
        refresher
            .refresh(Ask::Due, provider.fetch(Ok(1), None))
            .await;
        let unknown_kid = refresher
            .refresh(Ask::OutOfSchedule, provider.fetch(Ok(2), None))
            .await;
        assert_eq!(unknown_kid.fetched, Some(true));
        let another = refresher
            .refresh(Ask::OutOfSchedule, provider.fetch(Ok(3), None))
            .await;
        assert_eq!(another.fetched, None);
        assert!(!another.failing);
        assert_eq!(another.value.map(|v| *v.value), Some(2));
        assert_eq!(provider.fetches(), 2);
    }

    #[tokio::test]
    async fn a_fresh_value_needs_no_fetch_on_schedule() {
        let refresher = refresher(LONG, LONG, LONG);
        let provider = Provider::default();
        refresher
            .refresh(Ask::Due, provider.fetch(Ok(1), None))
            .await;
        let again = refresher
            .refresh(Ask::Due, provider.fetch(Ok(2), None))
            .await;
        assert_eq!(again.fetched, None);
        assert_eq!(again.value.map(|v| *v.value), Some(1));
        assert_eq!(provider.fetches(), 1);
    }

    #[tokio::test]
    async fn the_last_good_value_keeps_serving_through_failures() {
        // Period zero: every ask is due. Cooldown zero: every ask fetches.
        let refresher = refresher(Duration::ZERO, LONG, Duration::ZERO);
        let provider = Provider::default();
        refresher
            .refresh(Ask::Due, provider.fetch(Ok(5), None))
            .await;
        for _ in 0..3 {
            let failed = refresher
                .refresh(Ask::Due, provider.fetch(Err("down".into()), None))
                .await;
            assert_eq!(failed.fetched, Some(false));
            assert!(failed.failing);
            assert_eq!(failed.value.map(|v| *v.value), Some(5));
        }
        assert_eq!(refresher.current().map(|v| *v.value), Some(5));
        let back = refresher
            .refresh(Ask::Due, provider.fetch(Ok(6), None))
            .await;
        assert!(!back.failing);
        assert_eq!(back.value.map(|v| *v.value), Some(6));
        assert_eq!(provider.fetches(), 5);
    }

    /// The events of the refresher's target, as `level message`.
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<String>>>);

    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Lines {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            struct Message(String);
            impl tracing::field::Visit for Message {
                fn record_debug(
                    &mut self,
                    field: &tracing::field::Field,
                    value: &dyn std::fmt::Debug,
                ) {
                    if field.name() == "message" {
                        self.0 = format!("{value:?}");
                    }
                }
            }
            if event.metadata().target() == "webmethod::auth" {
                let mut message = Message(String::new());
                event.record(&mut message);
                let level = event.metadata().level();
                self.0
                    .lock()
                    .unwrap()
                    .push(format!("{level} {}", message.0));
            }
        }
    }

    #[test]
    fn one_warning_per_outage_and_one_line_when_it_ends() {
        use tracing_subscriber::layer::SubscriberExt;
        let lines = Lines::default();
        let subscriber = tracing_subscriber::registry().with(lines.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        // The subscriber is this thread's alone: other tests' lines stay out.
        tracing::subscriber::with_default(subscriber, || {
            runtime.block_on(async {
                let refresher = refresher(Duration::ZERO, LONG, Duration::ZERO);
                let provider = Provider::default();
                for answer in [
                    Err("down"),
                    Err("down"),
                    Err("down"),
                    Ok(1),
                    Ok(2),
                    Err("down"),
                ] {
                    let answer = answer.map_err(str::to_owned);
                    refresher
                        .refresh(Ask::Due, provider.fetch(answer, None))
                        .await;
                }
                assert_eq!(provider.fetches(), 6);
            })
        });
        let lines = lines.0.lock().unwrap().clone();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].starts_with("WARN test value fetch failed"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("INFO test value fetch succeeded again"),
            "{lines:?}"
        );
        assert!(
            lines[2].starts_with("WARN test value fetch failed"),
            "{lines:?}"
        );
    }
}
