//! `kvstore: {type: redis, url}`: counters in Redis, shared by every replica.
//! A Lua script increments and sets the expiry in one atomic round trip; the
//! connection manager reconnects after Redis restarts.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::store::{QuotaStore, StoreError, Window};

const HIT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count";

/// Gives one count back, never below zero, never creating the key.
const RELEASE: &str = r"
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then return redis.call('DECR', KEYS[1]) end
return 0";

/// Counters in Redis.
pub struct RedisStore {
    client: redis::Client,
    /// Connected on first use, so the server starts while Redis is still
    /// coming up (requests answer 500 until it is reachable).
    manager: tokio::sync::OnceCell<ConnectionManager>,
    script: redis::Script,
    release: redis::Script,
    prefix: String,
}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(format!("redis: {e}"))
}

impl RedisStore {
    /// A store for `url` (`redis://host:port/db`, `unix:///path`); keys get `prefix`.
    /// An invalid URL is an error, in [`StoreError`]'s text.
    pub fn new(url: &str, prefix: &str) -> Result<RedisStore, StoreError> {
        let client =
            redis::Client::open(url).map_err(|e| StoreError(format!("invalid redis url: {e}")))?;
        Ok(RedisStore {
            client,
            manager: tokio::sync::OnceCell::new(),
            script: redis::Script::new(HIT),
            release: redis::Script::new(RELEASE),
            prefix: prefix.to_owned(),
        })
    }

    async fn connection(&self) -> Result<ConnectionManager, StoreError> {
        self.manager
            .get_or_try_init(|| async {
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(Duration::from_secs(2)))
                    .set_response_timeout(Some(Duration::from_secs(2)))
                    .set_number_of_retries(1);
                ConnectionManager::new_with_config(self.client.clone(), config).await
            })
            .await
            .cloned()
            .map_err(err)
    }

    fn key(&self, key: &str, window: Window) -> String {
        format!("{}{key}:{}", self.prefix, window.index)
    }
}

#[async_trait]
impl QuotaStore for RedisStore {
    async fn hit(&self, key: &str, window: Window) -> Result<u64, StoreError> {
        let mut conn = self.connection().await?;
        // Keep the key a little past its window, then Redis drops it.
        let ttl = (window.resets_in + Duration::from_secs(1)).as_millis() as u64;
        self.script
            .key(self.key(key, window))
            .arg(ttl)
            .invoke_async::<u64>(&mut conn)
            .await
            .map_err(err)
    }

    async fn release(&self, key: &str, window: Window) -> Result<(), StoreError> {
        let mut conn = self.connection().await?;
        self.release
            .key(self.key(key, window))
            .invoke_async::<i64>(&mut conn)
            .await
            .map(drop)
            .map_err(err)
    }

    fn name(&self) -> &'static str {
        "redis"
    }
}
