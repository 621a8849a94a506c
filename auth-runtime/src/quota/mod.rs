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

pub(crate) use crate::serve::client_addr::{
    ClientAddr, DEFAULT_IPV6_PREFIX, ForwardedHeader, TrustedProxies,
};
pub(crate) use admission::{Charge, Refused};
pub(crate) use memory::DEFAULT_MAX_ENTRIES;
pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::RedisStore;
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;
pub use store::{QuotaStore, StoreError, Window};

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{ConfigError, ConfigErrors, QuotaConfig};

/// Limits, window and store.
pub struct Quota {
    /// Where the counters live.
    pub(crate) store: Arc<dyn QuotaStore>,
    /// Requests per window for each client address.
    pub(crate) anonymous_max_requests: u64,
    /// Requests per window for each authenticated principal.
    pub(crate) authenticated_max_requests: u64,
    /// The window length.
    pub(crate) period: Duration,
    /// Which peers' forwarding headers give the client address.
    pub(crate) trusted_proxies: TrustedProxies,
    /// Routes never charged.
    pub(crate) exempt_routes: ExemptRoutes,
    /// Where charges are counted, when metrics are on (set by the
    /// `Security` that serves this quota).
    pub(crate) metrics: Option<Arc<crate::telemetry::metrics::Metrics>>,
}

/// Who a counter is for.
pub(crate) enum Subject<'a> {
    /// A client address (or an unknown client behind a trusted proxy),
    /// counted before the identity provider is called.
    Address(ClientAddr),
    /// An authenticated principal.
    Principal(&'a str),
}

/// Where the counters live.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum StoreKind {
    /// In process memory, at most this many counters.
    Memory {
        /// The most counters kept (`server.quota.max_entries`).
        max_entries: usize,
    },
    /// A SQLite database file (`server.quota.kvstore.db_path`).
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))] // refused without the feature
    Sqlite(PathBuf),
    /// A Redis URL and the prefix of every key.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))] // refused without the feature
    Redis {
        /// `kvstore.url`, or `redis://host:port`.
        url: String,
        /// `<namespace>:quota:` (`namespace` defaults to `webmethod`).
        prefix: String,
    },
}

/// `server.quota`, checked: limits, window, store and trusted proxies. Opening
/// the store ([`Quota::open`]) is the only step left.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct QuotaSettings {
    /// `server.quota.kvstore`: where the counters live.
    pub(crate) store: StoreKind,
    /// `server.quota.anonymous_max_requests`: requests per window for each
    /// client address.
    pub(crate) anonymous_max_requests: u64,
    /// `server.quota.authenticated_max_requests`: requests per window for
    /// each authenticated principal.
    pub(crate) authenticated_max_requests: u64,
    /// The window length: `period_seconds`, else `period`.
    pub(crate) period: Duration,
    /// `trusted_proxies`, `forwarded_header` and `ipv6_prefix`, parsed.
    pub(crate) trusted_proxies: TrustedProxies,
    /// `server.quota.exempt_routes`: routes never charged.
    pub(crate) exempt_routes: ExemptRoutes,
}

/// `server.quota.exempt_routes`: routes never charged and answered without
/// `RateLimit-*` headers (probes: a kubelet behind a NAT must not be
/// throttled into restarting a healthy pod). Decided per route when the
/// router is built, never per request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExemptRoutes {
    /// Route templates as the router serves them, level included
    /// (`/v1/health`, `/v1/files/{*path}`).
    pub(crate) routes: Vec<String>,
    /// Written in the config: a template no route serves is then a WARN
    /// when the router is built (the defaults are not warned about).
    pub(crate) configured: bool,
}

/// The probe routes of llama-stack: `/v1/health`, `/v1/version`.
pub(crate) const DEFAULT_EXEMPT_ROUTES: &[&str] = &["/v1/health", "/v1/version"];

impl Default for ExemptRoutes {
    fn default() -> Self {
        ExemptRoutes {
            routes: DEFAULT_EXEMPT_ROUTES
                .iter()
                .map(|r| (*r).to_owned())
                .collect(),
            configured: false,
        }
    }
}

impl ExemptRoutes {
    /// Whether the route served at `path` (its template) is exempt.
    pub(crate) fn exempts(&self, path: &str) -> bool {
        self.routes.iter().any(|r| r == path)
    }
}

impl QuotaSettings {
    /// Checks `server.quota`; every error names its field.
    pub(crate) fn from_config(config: &QuotaConfig) -> Result<QuotaSettings, ConfigErrors> {
        let path = "server.quota";
        let mut errors = Vec::new();
        let store = match config.kvstore.kind.as_str() {
            "memory" => Some(StoreKind::Memory {
                max_entries: config.max_entries.unwrap_or(DEFAULT_MAX_ENTRIES),
            }),
            #[cfg(feature = "sqlite")]
            "sqlite" => match &config.kvstore.db_path {
                Some(db) => Some(StoreKind::Sqlite(db.clone())),
                None => {
                    errors.push(ConfigError::field(
                        format!("{path}.kvstore.db_path"),
                        "required for type sqlite",
                    ));
                    None
                }
            },
            #[cfg(feature = "redis")]
            "redis" => match config.kvstore.redis_url() {
                Some(url) => Some(StoreKind::Redis {
                    url,
                    prefix: format!(
                        "{}:quota:",
                        config.kvstore.namespace.as_deref().unwrap_or("webmethod")
                    ),
                }),
                None => {
                    errors.push(ConfigError::field(
                        format!("{path}.kvstore.url"),
                        "required for type redis (or host and port)",
                    ));
                    None
                }
            },
            #[cfg(not(feature = "sqlite"))]
            "sqlite" => {
                errors.push(ConfigError::field(
                    format!("{path}.kvstore.type"),
                    "sqlite needs auth-runtime's `sqlite` feature, which this build lacks",
                ));
                None
            }
            #[cfg(not(feature = "redis"))]
            "redis" => {
                errors.push(ConfigError::field(
                    format!("{path}.kvstore.type"),
                    "redis needs auth-runtime's `redis` feature, which this build lacks",
                ));
                None
            }
            other => {
                errors.push(ConfigError::field(
                    format!("{path}.kvstore.type"),
                    format!("unknown store {other:?}; one of: {}", STORES.join(", ")),
                ));
                None
            }
        };
        if config.period_seconds == Some(0) {
            errors.push(ConfigError::field(
                format!("{path}.period_seconds"),
                "must be at least 1",
            ));
        }
        if config.max_entries == Some(0) {
            errors.push(ConfigError::field(
                format!("{path}.max_entries"),
                "must be at least 1",
            ));
        }
        let header = match config
            .forwarded_header
            .as_deref()
            .map(ForwardedHeader::parse)
        {
            None => ForwardedHeader::XForwardedFor,
            Some(Ok(header)) => header,
            Some(Err(e)) => {
                errors.push(ConfigError::field(
                    format!("{path}.forwarded_header"),
                    e.to_string(),
                ));
                ForwardedHeader::XForwardedFor
            }
        };
        let trusted_proxies = TrustedProxies::parse(&config.trusted_proxies)
            .map_err(|e| {
                errors.push(ConfigError::field(
                    format!("{path}.trusted_proxies"),
                    e.to_string(),
                ))
            })
            .ok()
            .map(|proxies| proxies.with_header(header))
            .and_then(|proxies| {
                proxies
                    .with_ipv6_prefix(config.ipv6_prefix.unwrap_or(DEFAULT_IPV6_PREFIX))
                    .map_err(|e| {
                        errors.push(ConfigError::field(
                            format!("{path}.ipv6_prefix"),
                            e.to_string(),
                        ))
                    })
                    .ok()
            });
        let exempt_routes = match &config.exempt_routes {
            None => ExemptRoutes::default(),
            Some(routes) => {
                for (i, route) in routes.iter().enumerate() {
                    if !route.starts_with('/') {
                        errors.push(ConfigError::field(
                            format!("{path}.exempt_routes[{i}]"),
                            format!("{route:?} is not a route template (one starts with /, e.g. /v1/health)"),
                        ));
                    }
                }
                ExemptRoutes {
                    routes: routes.clone(),
                    configured: true,
                }
            }
        };
        ConfigErrors::check(errors)?;
        match (store, trusted_proxies) {
            (Some(store), Some(trusted_proxies)) => Ok(QuotaSettings {
                store,
                anonymous_max_requests: config.anonymous_max_requests,
                authenticated_max_requests: config.authenticated_max_requests,
                period: config.period_length(),
                trusted_proxies,
                exempt_routes,
            }),
            // Each `None` above came with its error.
            _ => Err(ConfigError::field(path, "cannot be used").into()),
        }
    }
}

/// The stores this build knows.
const STORES: &[&str] = &[
    "memory",
    #[cfg(feature = "sqlite")]
    "sqlite",
    #[cfg(feature = "redis")]
    "redis",
];

impl Quota {
    /// The quota a config describes: checked, then the store opened.
    pub fn from_config(config: &QuotaConfig) -> Result<Quota, ConfigErrors> {
        let settings = QuotaSettings::from_config(config)?;
        Ok(Quota::open(&settings)?)
    }

    /// Opens the store (the SQLite file is created if needed; Redis connects
    /// on first use).
    pub fn open(settings: &QuotaSettings) -> Result<Quota, ConfigError> {
        Quota::open_counted(settings, None)
    }

    /// As [`open`](Self::open), the memory store's evictions counted in
    /// `metrics`.
    pub(crate) fn open_counted(
        settings: &QuotaSettings,
        metrics: Option<&Arc<crate::telemetry::metrics::Metrics>>,
    ) -> Result<Quota, ConfigError> {
        let store: Arc<dyn QuotaStore> = match &settings.store {
            StoreKind::Memory { max_entries } => {
                Arc::new(MemoryStore::with_max_entries(*max_entries).counted(metrics))
            }
            #[cfg(feature = "sqlite")]
            StoreKind::Sqlite(db) => Arc::new(
                SqliteStore::open(db)
                    .map_err(|e| ConfigError::field("server.quota.kvstore.db_path", e.0))?,
            ),
            #[cfg(feature = "redis")]
            StoreKind::Redis { url, prefix } => Arc::new(
                RedisStore::new(url, prefix)
                    .map_err(|e| ConfigError::field("server.quota.kvstore.url", e.0))?,
            ),
            #[allow(unreachable_patterns)]
            other => {
                return Err(ConfigError::field(
                    "server.quota.kvstore.type",
                    format!("{other:?} is not in this build"),
                ));
            }
        };
        Ok(Quota::with_store(settings, store))
    }

    /// The limits of `settings` over a store already open (a reload keeps
    /// the running store, and its counters, when `kvstore` is unchanged).
    pub fn with_store(settings: &QuotaSettings, store: Arc<dyn QuotaStore>) -> Quota {
        Quota {
            store,
            anonymous_max_requests: settings.anonymous_max_requests,
            authenticated_max_requests: settings.authenticated_max_requests,
            period: settings.period,
            trusted_proxies: settings.trusted_proxies.clone(),
            exempt_routes: settings.exempt_routes.clone(),
            metrics: None,
        }
    }

    /// Where the counters live.
    pub fn store(&self) -> &Arc<dyn QuotaStore> {
        &self.store
    }

    /// The storage key: never a token; principals hashed so any string fits.
    pub(crate) fn key(subject: &Subject<'_>) -> String {
        match subject {
            // `addr:unknown@<proxy>` for an unknown client: never an address.
            Subject::Address(client) => format!("addr:{client}"),
            Subject::Principal(p) => {
                let digest = crate::digest::sha256(p.as_bytes());
                format!("user:{}", hex::encode(&digest[..16]))
            }
        }
    }

    /// The requests per window `subject` may make: the anonymous limit for
    /// an address, the authenticated one for a principal.
    pub(crate) fn limit(&self, subject: &Subject<'_>) -> u64 {
        match subject {
            Subject::Address(_) => self.anonymous_max_requests,
            Subject::Principal(_) => self.authenticated_max_requests,
        }
    }
}
