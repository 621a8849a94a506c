//! `server.quota`: the limits, the window and where the counters live.
//! Checked and compiled by [`QuotaSettings`](crate::quota::QuotaSettings).

use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use super::de::{lenient, lenient_opt};
use super::shown::Url;

/// `server.quota`: requests per window per principal and per client address.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct QuotaConfig {
    /// `server.quota.kvstore`: where the counters live. Default
    /// `{type: memory}`.
    #[serde(default)]
    pub kvstore: KvStoreConfig,
    /// `server.quota.anonymous_max_requests`: requests per window from one
    /// client address, counted before authentication (an authenticated
    /// caller's request is then counted against its principal instead).
    /// Default 100.
    #[serde(default = "default_anonymous", deserialize_with = "lenient")]
    pub anonymous_max_requests: u64,
    /// `server.quota.authenticated_max_requests`: requests per window from
    /// one authenticated principal. Default 1000.
    #[serde(default = "default_authenticated", deserialize_with = "lenient")]
    pub authenticated_max_requests: u64,
    /// `server.quota.period`: the window, `day`, `hour` or `minute`. Default
    /// `day`.
    #[serde(default)]
    pub period: QuotaPeriod,
    /// `server.quota.period_seconds` (webmethod's own): a window of this many
    /// seconds instead of `period`. At least 1; default: none (`period` applies).
    #[serde(default, deserialize_with = "lenient_opt")]
    pub period_seconds: Option<u64>,
    /// `server.quota.trusted_proxies` (webmethod's own): proxies (addresses
    /// or networks) whose `X-Forwarded-For` / `Forwarded` headers give the
    /// client address. Default: empty (the connection's peer is the client).
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// `server.quota.forwarded_header` (webmethod's own): the one header a
    /// trusted proxy's client is read from, `x-forwarded-for` (default) or
    /// `forwarded` (RFC 7239).
    pub forwarded_header: Option<String>,
    /// `server.quota.ipv6_prefix` (webmethod's own): IPv6 clients are counted
    /// per prefix of this length, 1 to 128. Default 64.
    #[serde(default, deserialize_with = "lenient_opt")]
    pub ipv6_prefix: Option<u8>,
    /// `server.quota.max_entries` (webmethod's own): the most counters the
    /// memory store keeps, at least 1. Default 100,000; see
    /// [`MemoryStore`](crate::quota::MemoryStore) for what happens at the bound.
    #[serde(default, deserialize_with = "lenient_opt")]
    pub max_entries: Option<usize>,
    /// `server.quota.exempt_routes` (webmethod's own): route templates as
    /// the router serves them (`/v1/health`) that are never charged and
    /// answer without `RateLimit-*` headers. Default `[/v1/health,
    /// /v1/version]` (llama-stack's probes); `[]` exempts nothing.
    pub exempt_routes: Option<Vec<String>>,
}

fn default_anonymous() -> u64 {
    100
}
fn default_authenticated() -> u64 {
    1000
}

impl QuotaConfig {
    /// The window length.
    pub fn period_length(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.period_seconds.unwrap_or(match self.period {
            QuotaPeriod::Day => 86_400,
            QuotaPeriod::Hour => 3_600,
            QuotaPeriod::Minute => 60,
        }))
    }
}

/// `period:` of `server.quota`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum QuotaPeriod {
    /// `day`: 86,400 seconds (the default).
    #[default]
    Day,
    /// `hour`: 3,600 seconds.
    Hour,
    /// `minute`: 60 seconds.
    Minute,
}

/// `server.quota.kvstore`: `{type: memory}`, `{type: sqlite, db_path}` or
/// `{type: redis, url}` (or llama-stack's `host` and `port`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct KvStoreConfig {
    /// `server.quota.kvstore.type`: `memory`, `sqlite` or `redis` (the last
    /// two when the build has their feature). Default `memory`.
    #[serde(rename = "type", default = "memory")]
    pub kind: String,
    /// `server.quota.kvstore.db_path`: the SQLite database file, created if
    /// needed. Required for `sqlite`; no default.
    pub db_path: Option<PathBuf>,
    /// `server.quota.kvstore.url`: the Redis URL (`redis://host:port`).
    /// For `redis`, this or `host` is required; no default.
    pub url: Option<String>,
    /// `server.quota.kvstore.host`: the Redis host, llama-stack's way, when
    /// `url` is not given. Default: none.
    pub host: Option<String>,
    /// `server.quota.kvstore.port`: the Redis port with `host`. Default 6379.
    #[serde(default, deserialize_with = "lenient_opt")]
    pub port: Option<u16>,
    /// `server.quota.kvstore.namespace`: Redis keys start with
    /// `<namespace>:quota:`. Default `webmethod`.
    pub namespace: Option<String>,
}

impl fmt::Debug for KvStoreConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KvStoreConfig")
            .field("kind", &self.kind)
            .field("db_path", &self.db_path)
            .field("url", &self.url.as_deref().map(Url))
            .field("host", &self.host)
            .field("port", &self.port)
            .field("namespace", &self.namespace)
            .finish()
    }
}

fn memory() -> String {
    "memory".into()
}

impl Default for KvStoreConfig {
    fn default() -> Self {
        KvStoreConfig {
            kind: memory(),
            db_path: None,
            url: None,
            host: None,
            port: None,
            namespace: None,
        }
    }
}

impl KvStoreConfig {
    /// The Redis URL: `url`, or `redis://host:port`.
    pub fn redis_url(&self) -> Option<String> {
        self.url.clone().or_else(|| {
            self.host
                .as_ref()
                .map(|h| format!("redis://{h}:{}", self.port.unwrap_or(6379)))
        })
    }
}
