//! The default store: counters in process memory, sharded locks. Counts are
//! lost on restart and not shared between replicas.
//!
//! Memory is bounded: at most `max_entries` counters (split evenly over the
//! shards). A shard that is full first drops the counters of past windows
//! (at most once per window, so a flood cannot make every request scan it);
//! if it is still full, a subject it does not know is counted in the shard's
//! one overflow counter for its kind (addresses, principals), shared by every
//! such subject until the window ends. Known subjects keep their counts: a
//! flood of new addresses cannot reset anyone's counter, it only exhausts
//! the overflow counter it shares (fail closed: new subjects get 429 sooner,
//! never more requests).

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;

use async_trait::async_trait;

use super::store::{QuotaStore, StoreError, Window};

const SHARDS: usize = 16;

/// Counters kept unless configured (`server.quota.max_entries`): about
/// 100 bytes each, so about 10 MB.
pub const DEFAULT_MAX_ENTRIES: usize = 100_000;

/// In-memory counters.
pub struct MemoryStore {
    shards: Vec<Mutex<Shard>>,
    hasher: RandomState,
    per_shard: usize,
}

#[derive(Default)]
struct Shard {
    /// key -> (window index, count)
    counters: HashMap<String, (u64, u64)>,
    /// The window whose past counters were last dropped.
    purged: u64,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_max_entries(DEFAULT_MAX_ENTRIES)
    }
}

impl MemoryStore {
    /// At most [`DEFAULT_MAX_ENTRIES`] counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `max_entries` counters (at least one per shard).
    pub fn with_max_entries(max_entries: usize) -> Self {
        MemoryStore {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            hasher: RandomState::new(),
            per_shard: max_entries.div_ceil(SHARDS).max(1),
        }
    }

    /// Counters held now, overflow counters included.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).counters.len()).sum()
    }

    /// Whether no counter is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn shard(&self, key: &str) -> std::sync::MutexGuard<'_, Shard> {
        lock(&self.shards[(self.hasher.hash_one(key) as usize) % SHARDS])
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// The overflow counter of a key's kind: `addr:*` for `addr:...`.
fn overflow_key(key: &str) -> String {
    let kind = key.split_once(':').map_or("", |(kind, _)| kind);
    format!("{kind}:*")
}

#[async_trait]
impl QuotaStore for MemoryStore {
    async fn hit(&self, key: &str, window: Window) -> Result<u64, StoreError> {
        let mut shard = self.shard(key);
        let shard = &mut *shard;
        let full = |shard: &Shard| shard.counters.len() >= self.per_shard;
        if full(shard) && !shard.counters.contains_key(key) && shard.purged < window.index {
            shard.counters.retain(|_, (w, _)| *w >= window.index);
            shard.purged = window.index;
        }
        let entry = if !full(shard) || shard.counters.contains_key(key) {
            shard.counters.entry(key.to_owned())
        } else {
            // The overflow counter may itself be new: one more entry, at
            // most one per kind.
            shard.counters.entry(overflow_key(key))
        };
        let entry = entry.or_insert((window.index, 0));
        if entry.0 != window.index {
            *entry = (window.index, 0);
        }
        entry.1 += 1;
        Ok(entry.1)
    }

    async fn release(&self, key: &str, window: Window) -> Result<(), StoreError> {
        let mut shard = self.shard(key);
        // A subject counted in an overflow counter is not given its count
        // back: at the bound, counting too much is the safe side.
        if let Some((w, count)) = shard.counters.get_mut(key)
            && *w == window.index
        {
            *count = count.saturating_sub(1);
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn window(index: u64) -> Window {
        Window {
            index,
            length: Duration::from_secs(60),
            resets_in: Duration::from_secs(30),
        }
    }

    #[tokio::test]
    async fn a_flood_of_new_subjects_stays_bounded_and_resets_no_one() {
        let store = MemoryStore::new();
        let w = window(7);
        for _ in 0..5 {
            store.hit("addr:192.0.2.1", w).await.unwrap();
        }
        for i in 0..200_000u32 {
            let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
            store.hit(&format!("addr:{ip}"), w).await.unwrap();
        }
        // The bound, plus one overflow counter per shard and kind.
        assert!(
            store.len() <= DEFAULT_MAX_ENTRIES + 2 * SHARDS,
            "{}",
            store.len()
        );
        assert_eq!(
            store.hit("addr:192.0.2.1", w).await.unwrap(),
            6,
            "kept its count"
        );
        // A new subject now shares an overflow counter the flood exhausted.
        assert!(store.hit("addr:198.51.100.1", w).await.unwrap() > 1_000);
        // Principals have overflow counters of their own.
        assert!(store.hit("user:abc", w).await.unwrap() < 100);
    }

    #[tokio::test]
    async fn a_new_window_makes_room() {
        let store = MemoryStore::with_max_entries(160);
        for i in 0..2_000 {
            store.hit(&format!("addr:{i}"), window(1)).await.unwrap();
        }
        // Past-window counters go when a full shard meets a new subject.
        for i in 10_000..10_016 {
            assert_eq!(
                store.hit(&format!("addr:{i}"), window(2)).await.unwrap(),
                1,
                "{i}"
            );
        }
    }
}
