//! The document and its `server` section: what webmethod reads of a
//! `run.yaml`, the listener's own settings (`limits`, `metrics`, `openapi`)
//! and llama-stack's keys accepted and ignored.
//!
//! Unknown top-level sections and unknown keys of `server` are accepted (a
//! real `run.yaml` loads); inside `server.auth`, where a typo would weaken
//! security, unknown keys are errors.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::de::{lenient_opt, null_as_default};
use super::{AuthConfig, QuotaConfig};

/// The whole config document. Only `server` is read.
///
/// ```
/// use auth_runtime::config::Config;
///
/// let yaml = "
/// server:
///   port: 8080
///   auth:
///     provider_config:
///       type: api_keys
///       keys:
///         - key: ${env.DEMO_KEY}
///           principal: alice
///     cache:
///       ttl: 60
/// ";
/// // `lookup` reads the environment for `${env.X}` (here, a fixed value).
/// let env = |name: &str| (name == "DEMO_KEY").then(|| "s3cret".to_owned());
/// let config = Config::parse(yaml, "run.yaml", &env)?;
///
/// assert_eq!(config.server.port, Some(8080));
/// assert_eq!(config.server.host, None); // 127.0.0.1 when served
/// let auth = config.server.auth.as_ref().expect("server.auth is set");
/// assert_eq!(auth.cache.ttl, 60);
/// assert_eq!(auth.cache.failure_ttl, 5); // the default
/// # Ok::<(), auth_runtime::config::ConfigError>(())
/// ```
///
/// [`Config::load`] reads a file instead; `${env.X}` then reads the process's
/// environment.
#[derive(Debug, Default, Deserialize)]
#[non_exhaustive]
pub struct Config {
    /// `server`: everything webmethod reads. Absent or empty, every default
    /// applies (no authentication, no quota, plain HTTP on 127.0.0.1:8321).
    #[serde(default, deserialize_with = "null_as_default")]
    pub server: ServerConfig,
}

/// `server:` of a `run.yaml`.
#[derive(Debug, Default, Deserialize)]
#[non_exhaustive]
pub struct ServerConfig {
    /// `server.port`: the port the API listens on; `--port` overrides it.
    /// Default 8321 ([`DEFAULT_PORT`](super::DEFAULT_PORT)).
    #[serde(default, deserialize_with = "lenient_opt")]
    pub port: Option<u16>,
    /// `server.host`: the address the API listens on; `--host` overrides it.
    /// Default `127.0.0.1` ([`DEFAULT_HOST`](super::DEFAULT_HOST)).
    pub host: Option<String>,
    /// `server.tls_certfile`: PEM file of the server's certificate chain;
    /// with `tls_keyfile`, the API is served over HTTPS. Default: none
    /// (plain HTTP).
    pub tls_certfile: Option<String>,
    /// `server.tls_keyfile`: PEM file of the certificate's private key;
    /// required with `tls_certfile`. Default: none.
    pub tls_keyfile: Option<String>,
    /// `server.tls_cafile`: PEM file of CA certificates; clients must then
    /// present a certificate one of them signed (mutual TLS). Needs
    /// `tls_certfile` and `tls_keyfile`. Default: none (no client certificate).
    pub tls_cafile: Option<String>,
    /// `server.auth`: the identity provider, the policies and the validation
    /// cache. Default: none (authentication off).
    pub auth: Option<AuthConfig>,
    /// `server.quota`: requests per window per principal and per client
    /// address. Default: none (no quota).
    pub quota: Option<QuotaConfig>,
    /// `server.cors`: `true` (llama-stack's development default: any
    /// `http(s)://localhost:<port>` origin) or llama-stack's `CORSConfig`
    /// object. Default: none (no CORS header at all).
    pub cors: Option<Value>,
    /// `server.limits` (webmethod's own): connection limits and timeouts.
    /// Default: none (every limit at its default).
    pub limits: Option<LimitsConfig>,
    /// `server.metrics` (webmethod's own): Prometheus metrics on a listener
    /// of their own. Default: none (no metrics).
    pub metrics: Option<MetricsConfig>,
    /// `server.openapi` (webmethod's own): serve the OpenAPI document.
    /// Default: none (not served).
    pub openapi: Option<OpenApiConfig>,
    /// `server.tenancy`: tenants required, stamped, or neither (the default).
    #[serde(default)]
    pub tenancy: Option<super::TenancyConfig>,
    /// `server.workers`: llama-stack's; accepted and ignored, with a warning.
    pub workers: Option<Value>,
    /// `server.disable_ipv6`: llama-stack's; accepted and ignored, with a
    /// warning (webmethod listens where `host` says).
    pub disable_ipv6: Option<Value>,
    /// `server.registry_refresh_interval_seconds`: llama-stack's; accepted
    /// and ignored, with a warning.
    pub registry_refresh_interval_seconds: Option<Value>,
    /// Any other key of `server`: a key this version does not know, accepted
    /// and reported as a warning.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `server.limits` (webmethod's own): what one client may hold.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct LimitsConfig {
    /// `server.limits.header_read_timeout`: seconds to send a whole request
    /// head, or a TLS handshake; also how long a kept-alive connection may
    /// wait for its next request. Above 0, at most 3600; default 10.
    #[serde(default, deserialize_with = "lenient_opt")]
    pub header_read_timeout: Option<f64>,
    /// `server.limits.max_connections`: connections served at once; more
    /// wait to be accepted. At least 1; default 10,000.
    #[serde(default, deserialize_with = "lenient_opt")]
    pub max_connections: Option<usize>,
    /// `server.limits.max_request_body_bytes`: the largest request body an
    /// extractor reads, in bytes; a longer `Content-Length` is answered 413
    /// before the body is read. At least 1; default 2 MiB (2,097,152).
    #[serde(default, deserialize_with = "lenient_opt")]
    pub max_request_body_bytes: Option<usize>,
    /// `server.limits.body_read_timeout`: seconds a request's whole body has
    /// to arrive, counted from its head; a slower one is cut (408). Above 0,
    /// at most 3600; default 30.
    #[serde(default, deserialize_with = "lenient_opt")]
    pub body_read_timeout: Option<f64>,
}

/// `server.metrics` (webmethod's own).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct MetricsConfig {
    /// `server.metrics.address`: `host:port` of the metrics listener (never
    /// the API's); `/metrics` answers there. Port 0 picks a free port.
    /// Required, no default.
    pub address: String,
    /// `server.metrics.max_connections`: connections the metrics listener
    /// serves at once, a cap of its own beside the API's. At least 1;
    /// default 64.
    #[serde(default, deserialize_with = "lenient_opt")]
    pub max_connections: Option<usize>,
}

/// `server.openapi` (webmethod's own).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct OpenApiConfig {
    /// `server.openapi.path`: the path the document is served at, without
    /// authentication (`/openapi.json`, say). A fixed path no route serves.
    /// Required, no default.
    pub path: String,
}
