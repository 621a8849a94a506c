//! The limits every connection and request is served under
//! (`server.limits`), with their defaults, checked from the config.

use std::time::Duration;

use crate::config::{ConfigError, LimitsConfig, MetricsConfig};

/// The limits every connection is served under.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// `server.limits.header_read_timeout`: the time to send a request head
    /// or finish a TLS handshake; also the keep-alive idle timeout. Default
    /// 10 seconds ([`DEFAULT_HEADER_READ_TIMEOUT_SECONDS`]).
    pub header_read_timeout: Duration,
    /// `server.limits.max_connections`: connections served at once. Default
    /// 10,000 ([`DEFAULT_MAX_CONNECTIONS`]).
    pub max_connections: usize,
    /// `server.limits.max_request_body_bytes`: the largest request body an
    /// extractor reads; a request announcing a longer `Content-Length` is
    /// answered 413 before its body is read. Default 2 MiB
    /// ([`DEFAULT_MAX_REQUEST_BODY_BYTES`]).
    pub max_request_body_bytes: usize,
    /// `server.limits.body_read_timeout`: the time a request's whole body
    /// has to arrive, counted from its head; a slower body is cut (408).
    /// Default 30 seconds ([`DEFAULT_BODY_READ_TIMEOUT_SECONDS`]).
    pub body_read_timeout: Duration,
    /// `server.metrics.max_connections`: connections the metrics listener
    /// serves at once, apart from the API's. Default 64
    /// ([`DEFAULT_METRICS_MAX_CONNECTIONS`]).
    pub metrics_max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECONDS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_request_body_bytes: DEFAULT_MAX_REQUEST_BODY_BYTES,
            body_read_timeout: Duration::from_secs(DEFAULT_BODY_READ_TIMEOUT_SECONDS),
            metrics_max_connections: DEFAULT_METRICS_MAX_CONNECTIONS,
        }
    }
}

/// Seconds a client has to send a whole request head (and a TLS handshake).
pub(super) const DEFAULT_HEADER_READ_TIMEOUT_SECONDS: u64 = 10;

/// Connections served at once.
pub(super) const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// The largest request body a handler's extractor reads (axum's default).
pub(crate) const DEFAULT_MAX_REQUEST_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Seconds a request's whole body has to arrive, from its head.
pub(super) const DEFAULT_BODY_READ_TIMEOUT_SECONDS: u64 = 30;

/// Connections the metrics listener serves at once.
pub(super) const DEFAULT_METRICS_MAX_CONNECTIONS: usize = 64;

pub(super) fn limits(
    config: Option<&LimitsConfig>,
    metrics: Option<&MetricsConfig>,
    errors: &mut Vec<ConfigError>,
) -> Limits {
    let mut limits = Limits::default();
    match metrics.and_then(|m| m.max_connections) {
        Some(0) => errors.push(ConfigError::field(
            "server.metrics.max_connections",
            "must be at least 1",
        )),
        Some(n) => limits.metrics_max_connections = n,
        None => {}
    }
    let Some(config) = config else {
        return limits;
    };
    if let Some(seconds) = config.header_read_timeout {
        match seconds_in_range(seconds) {
            Some(timeout) => limits.header_read_timeout = timeout,
            None => errors.push(ConfigError::field(
                "server.limits.header_read_timeout",
                "must be a number of seconds above 0 and at most 3600",
            )),
        }
    }
    if let Some(seconds) = config.body_read_timeout {
        match seconds_in_range(seconds) {
            Some(timeout) => limits.body_read_timeout = timeout,
            None => errors.push(ConfigError::field(
                "server.limits.body_read_timeout",
                "must be a number of seconds above 0 and at most 3600",
            )),
        }
    }
    match config.max_connections {
        Some(0) => errors.push(ConfigError::field(
            "server.limits.max_connections",
            "must be at least 1",
        )),
        Some(n) => limits.max_connections = n,
        None => {}
    }
    match config.max_request_body_bytes {
        Some(0) => errors.push(ConfigError::field(
            "server.limits.max_request_body_bytes",
            "must be at least 1",
        )),
        Some(n) => limits.max_request_body_bytes = n,
        None => {}
    }
    limits
}

/// `seconds` as a duration when above 0 and at most an hour.
fn seconds_in_range(seconds: f64) -> Option<Duration> {
    (seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0)
        .then(|| Duration::from_secs_f64(seconds))
}
