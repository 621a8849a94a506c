//! The storage behind quota counters: one atomic increment-and-expire per
//! request, on fixed windows (`period` long, aligned to the Unix epoch).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;

/// A counting window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Window {
    /// Which window since the epoch.
    pub index: u64,
    /// How long every window is (the quota's period).
    pub length: Duration,
    /// Time left in this window.
    pub resets_in: Duration,
}

impl Window {
    /// The window `now` falls in.
    pub fn current(length: Duration) -> Window {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let len = length.as_millis().max(1);
        let index = (now.as_millis() / len) as u64;
        let end = (u128::from(index) + 1) * len;
        Window {
            index,
            length,
            resets_in: Duration::from_millis((end - now.as_millis()) as u64),
        }
    }
}

impl Window {
    /// Whole seconds until the window resets (rounded up).
    pub fn reset_secs(&self) -> u64 {
        self.resets_in.as_secs() + u64::from(self.resets_in.subsec_nanos() > 0)
    }
}

/// A counter store failed; requests answer 500 "Quota service error".
#[derive(Debug, Clone, thiserror::Error)]
#[error("quota store: {0}")]
#[non_exhaustive]
pub struct StoreError(pub String);

impl StoreError {
    /// A failure described by `reason` (logged; never shown to the client).
    pub fn new(reason: impl Into<String>) -> Self {
        StoreError(reason.into())
    }
}

/// Counters. Implementations must make `hit` atomic: concurrent hits on one
/// key never lose a count.
///
/// The stores of `server.quota.kvstore` are [`MemoryStore`](super::MemoryStore)
/// (the default), `SqliteStore` and `RedisStore`. A store of your own serves
/// with `Security::new(&settings)?.with_quota(Quota::with_store(settings.quota()?,
/// Arc::new(store)))` (the limits stay the config's); when it fails, the
/// request is answered 500 "Quota service error", never let through. A toy
/// store, one locked map whose counters are never dropped:
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::Mutex;
/// use std::time::Duration;
///
/// use auth_runtime::async_trait;
/// use auth_runtime::quota::{MemoryStore, QuotaStore, StoreError, Window};
///
/// #[derive(Default)]
/// struct MapStore(Mutex<HashMap<(String, u64), u64>>);
///
/// #[async_trait]
/// impl QuotaStore for MapStore {
///     async fn hit(&self, key: &str, window: Window) -> Result<u64, StoreError> {
///         let mut counts = self.0.lock().map_err(|e| StoreError::new(e.to_string()))?;
///         let count = counts.entry((key.to_owned(), window.index)).or_insert(0);
///         *count += 1;
///         Ok(*count)
///     }
///
///     async fn release(&self, key: &str, window: Window) -> Result<(), StoreError> {
///         let mut counts = self.0.lock().map_err(|e| StoreError::new(e.to_string()))?;
///         if let Some(count) = counts.get_mut(&(key.to_owned(), window.index)) {
///             *count = count.saturating_sub(1);
///         }
///         Ok(())
///     }
///
///     fn name(&self) -> &'static str {
///         "map"
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), StoreError> {
/// let window = Window::current(Duration::from_secs(60));
/// for store in [&MapStore::default() as &dyn QuotaStore, &MemoryStore::new()] {
///     assert_eq!(store.hit("addr:192.0.2.1", window).await?, 1);
///     assert_eq!(store.hit("addr:192.0.2.1", window).await?, 2);
///     store.release("addr:192.0.2.1", window).await?;
///     assert_eq!(store.hit("addr:192.0.2.1", window).await?, 2, "{}", store.name());
/// }
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait QuotaStore: Send + Sync + 'static {
    /// Adds one to `key` in `window` and returns the new count.
    async fn hit(&self, key: &str, window: Window) -> Result<u64, StoreError>;

    /// Takes back one count of `key` in `window` (never below zero): the
    /// address's charge of a request whose caller then authenticated and is
    /// counted against its principal instead.
    async fn release(&self, key: &str, window: Window) -> Result<(), StoreError>;

    /// A short name for logs.
    fn name(&self) -> &'static str;
}
