//! The default store: counters in process memory, sharded locks. Counts are
//! lost on restart and not shared between replicas.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use super::store::{QuotaStore, StoreError, Window};

const SHARDS: usize = 16;

/// In-memory counters.
pub struct MemoryStore {
    shards: Vec<Mutex<HashMap<String, (u64, u64)>>>,
    hasher: RandomState,
    hits: AtomicU64,
}

impl Default for MemoryStore {
    fn default() -> Self {
        MemoryStore {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            hits: AtomicU64::new(0),
        }
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn shard(&self, key: &str) -> &Mutex<HashMap<String, (u64, u64)>> {
        &self.shards[(self.hasher.hash_one(key) as usize) % SHARDS]
    }
}

#[async_trait]
impl QuotaStore for MemoryStore {
    async fn hit(&self, key: &str, window: Window) -> Result<u64, StoreError> {
        let mut map = self.shard(key).lock().unwrap_or_else(|p| p.into_inner());
        // Now and then, drop counters of past windows so memory stays bounded.
        if self
            .hits
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(4096)
        {
            map.retain(|_, (w, _)| *w >= window.index);
        }
        let entry = map.entry(key.to_owned()).or_insert((window.index, 0));
        if entry.0 != window.index {
            *entry = (window.index, 0);
        }
        entry.1 += 1;
        Ok(entry.1)
    }

    async fn release(&self, key: &str, window: Window) -> Result<(), StoreError> {
        let mut map = self.shard(key).lock().unwrap_or_else(|p| p.into_inner());
        if let Some((w, count)) = map.get_mut(key)
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
