//! Quota: requests per window, per authenticated principal and per client
//! address (DESIGN.md "Quota"). Counters are atomic in every store; an address
//! over its limit gets 429 before the identity provider is called.

mod admission;
mod memory;
#[cfg(feature = "redis")]
mod redis;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

pub(crate) use admission::Charge;
pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use store::{QuotaStore, StoreError, Window};

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::client_addr::TrustedProxies;
use crate::config::{ConfigError, QuotaConfig};

/// Limits, window and store.
pub struct Quota {
    pub store: Arc<dyn QuotaStore>,
    pub anonymous_max_requests: u64,
    pub authenticated_max_requests: u64,
    pub period: Duration,
    pub trusted_proxies: TrustedProxies,
}

/// Who a counter is for.
pub enum Subject<'a> {
    Address(std::net::IpAddr),
    Principal(&'a str),
}

impl Quota {
    /// The quota a config describes (opens the SQLite file; Redis connects on first use).
    pub fn from_config(config: &QuotaConfig) -> Result<Quota, ConfigError> {
        let path = "server.quota";
        let store: Arc<dyn QuotaStore> = match config.kvstore.kind.as_str() {
            "memory" => Arc::new(MemoryStore::new()),
            #[cfg(feature = "sqlite")]
            "sqlite" => {
                let db = config.kvstore.db_path.as_ref().ok_or_else(|| {
                    ConfigError::field(
                        format!("{path}.kvstore.db_path"),
                        "required for type sqlite",
                    )
                })?;
                Arc::new(
                    SqliteStore::open(db)
                        .map_err(|e| ConfigError::field(format!("{path}.kvstore.db_path"), e))?,
                )
            }
            #[cfg(feature = "redis")]
            "redis" => {
                let url = config.kvstore.redis_url().ok_or_else(|| {
                    ConfigError::field(
                        format!("{path}.kvstore.url"),
                        "required for type redis (or host and port)",
                    )
                })?;
                let prefix = format!(
                    "{}:quota:",
                    config.kvstore.namespace.as_deref().unwrap_or("webmethod")
                );
                Arc::new(
                    RedisStore::new(&url, &prefix)
                        .map_err(|e| ConfigError::field(format!("{path}.kvstore.url"), e))?,
                )
            }
            other => {
                return Err(ConfigError::field(
                    format!("{path}.kvstore.type"),
                    format!("unknown store {other:?}; one of: memory, sqlite, redis"),
                ));
            }
        };
        Ok(Quota {
            store,
            anonymous_max_requests: config.anonymous_max_requests,
            authenticated_max_requests: config.authenticated_max_requests,
            period: config.period_length(),
            trusted_proxies: TrustedProxies::parse(&config.trusted_proxies)
                .map_err(|e| ConfigError::field(format!("{path}.trusted_proxies"), e))?,
        })
    }

    /// The storage key: never a token; principals hashed so any string fits.
    pub fn key(subject: &Subject<'_>) -> String {
        match subject {
            Subject::Address(ip) => format!("addr:{ip}"),
            Subject::Principal(p) => {
                let digest = Sha256::digest(p.as_bytes());
                format!("user:{}", hex::encode(&digest[..16]))
            }
        }
    }

    pub fn limit(&self, subject: &Subject<'_>) -> u64 {
        match subject {
            Subject::Address(_) => self.anonymous_max_requests,
            Subject::Principal(_) => self.authenticated_max_requests,
        }
    }
}
