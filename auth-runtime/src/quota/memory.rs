//! The default store: counters in process memory, sharded locks. Counts are
//! lost on restart and not shared between replicas.
//!
//! Memory is bounded: at most `max_entries` counters (split evenly over the
//! shards). Each shard keeps its counters in least-recently-charged order; a
//! new subject in a full shard evicts the one charged longest ago (counters of
//! past windows, which are dead, go first by construction). An eviction of a
//! counter of the current window is counted (`webmethod_quota_evictions_total`):
//! that subject starts over at its next request, so the bound should stay well
//! above the number of subjects charged per window. Newcomers are never pooled
//! into a shared counter, so a flood of new addresses cannot lock out everyone
//! else who is new.
//!
//! Counting stays exact for every subject the store holds: one lock per
//! shard, one increment under it. Why not `moka` (already a dependency): its
//! default policy may refuse to admit a new entry (its counter would restart
//! at 1 on every hit), its bound is enforced by deferred maintenance, and its
//! recency order is fed through a lossy buffer, so neither the count nor the
//! eviction order is exact. `hashlink`'s linked hash map gives both, in O(1).

use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use hashlink::LruCache;

use super::store::{QuotaStore, StoreError, Window};

const SHARDS: usize = 16;

/// Counters kept unless configured (`server.quota.max_entries`): about
/// 100 bytes each, so about 10 MB.
pub(crate) const DEFAULT_MAX_ENTRIES: usize = 100_000;

/// In-memory counters.
pub struct MemoryStore {
    /// key -> (window index, count), least recently charged first.
    shards: Vec<Mutex<LruCache<String, (u64, u64)>>>,
    hasher: RandomState,
    per_shard: usize,
    /// Counters of the current window evicted to make room.
    evictions: AtomicU64,
    /// Where evictions are counted too, when metrics are on.
    metrics: Option<Arc<crate::telemetry::metrics::Metrics>>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self::with_max_entries(DEFAULT_MAX_ENTRIES)
    }
}

impl MemoryStore {
    /// At most 100,000 counters (`server.quota.max_entries`'s default).
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `max_entries` counters (at least one per shard).
    pub fn with_max_entries(max_entries: usize) -> Self {
        MemoryStore {
            // Bounded here, not by the map: an eviction must be seen to be counted.
            shards: (0..SHARDS)
                .map(|_| Mutex::new(LruCache::new_unbounded()))
                .collect(),
            hasher: RandomState::new(),
            per_shard: max_entries.div_ceil(SHARDS).max(1),
            evictions: AtomicU64::new(0),
            metrics: None,
        }
    }

    /// Counts evictions in `metrics` too.
    pub(crate) fn counted(
        mut self,
        metrics: Option<&Arc<crate::telemetry::metrics::Metrics>>,
    ) -> Self {
        self.metrics = metrics.cloned();
        self
    }

    /// Counters held now.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).len()).sum()
    }

    /// Whether no counter is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Counters of a current window evicted to make room, since this store
    /// was made.
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    fn shard(&self, key: &str) -> std::sync::MutexGuard<'_, LruCache<String, (u64, u64)>> {
        lock(&self.shards[(self.hasher.hash_one(key) as usize) % SHARDS])
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[async_trait]
impl QuotaStore for MemoryStore {
    async fn hit(&self, key: &str, window: Window) -> Result<u64, StoreError> {
        let mut shard = self.shard(key);
        // A known subject: charged now, so it moves to the most recent end.
        if let Some(entry) = shard.get_mut(key) {
            if entry.0 != window.index {
                *entry = (window.index, 0);
            }
            entry.1 += 1;
            return Ok(entry.1);
        }
        let mut evicted = 0;
        while shard.len() >= self.per_shard {
            match shard.remove_lru() {
                Some((_, (w, count))) if w >= window.index && count > 0 => evicted += 1,
                Some(_) => {}
                None => break,
            }
        }
        shard.insert(key.to_owned(), (window.index, 1));
        drop(shard);
        if evicted > 0 {
            self.evictions.fetch_add(evicted, Ordering::Relaxed);
            if let Some(metrics) = &self.metrics {
                metrics.quota_evictions(evicted);
            }
        }
        Ok(1)
    }

    async fn release(&self, key: &str, window: Window) -> Result<(), StoreError> {
        let mut shard = self.shard(key);
        // Not a charge: the subject keeps its place in the order.
        if let Some((w, count)) = shard.peek_mut(key)
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
    async fn a_flood_of_new_subjects_stays_bounded_and_locks_out_no_newcomer() {
        let store = MemoryStore::new();
        let w = window(7);
        for i in 0..200_000u32 {
            let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
            // Every newcomer has a counter of its own: never a shared one.
            assert_eq!(store.hit(&format!("addr:{ip}"), w).await.unwrap(), 1);
        }
        assert!(
            store.len() <= DEFAULT_MAX_ENTRIES + SHARDS,
            "{}",
            store.len()
        );
        // Counted, exactly: every counter beyond the bound made room.
        assert_eq!(store.evictions() as usize, 200_000 - store.len());
        assert_eq!(store.hit("addr:198.51.100.1", w).await.unwrap(), 1);
        assert_eq!(store.hit("addr:198.51.100.1", w).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn the_least_recently_charged_go_first() {
        // One shard's worth each: 4 counters per shard.
        let store = MemoryStore::with_max_entries(4 * SHARDS);
        let w = window(3);
        for _ in 0..3 {
            store.hit("addr:192.0.2.1", w).await.unwrap();
        }
        store.hit("addr:192.0.2.2", w).await.unwrap();
        for i in 0..10_000u32 {
            store.hit(&format!("addr:flood-{i}"), w).await.unwrap();
            // Charged between every newcomer: always the most recent in its shard.
            if i % 2 == 0 {
                store.hit("addr:192.0.2.1", w).await.unwrap();
                store.release("addr:192.0.2.1", w).await.unwrap();
            }
        }
        assert_eq!(
            store.hit("addr:192.0.2.1", w).await.unwrap(),
            4,
            "a live subject keeps its exact count"
        );
        assert_eq!(
            store.hit("addr:192.0.2.2", w).await.unwrap(),
            1,
            "charged longest ago: evicted, starts over"
        );
        assert!(store.len() <= 4 * SHARDS);
    }

    #[tokio::test]
    async fn past_windows_make_room_without_counting_as_evictions() {
        // One counter per shard: every newcomer to an occupied shard evicts.
        let store = MemoryStore::with_max_entries(SHARDS);
        for i in 0..1_000 {
            store.hit(&format!("addr:a{i}"), window(1)).await.unwrap();
        }
        assert_eq!(store.len(), SHARDS);
        let first = store.evictions();
        assert_eq!(first as usize, 1_000 - SHARDS, "live counters evicted");
        for i in 0..1_000 {
            assert_eq!(
                store.hit(&format!("addr:b{i}"), window(2)).await.unwrap(),
                1
            );
        }
        // The first newcomer of each shard took a dead counter's place:
        // not counted.
        assert_eq!((store.evictions() - first) as usize, 1_000 - SHARDS);
    }
}
