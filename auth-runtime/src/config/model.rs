//! The config's serde types, in llama-stack's `run.yaml` shape.
//!
//! Unknown top-level sections and unknown keys of `server` are accepted (a real
//! `run.yaml` loads); inside `server.auth`, where a typo would weaken security,
//! unknown keys are errors.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_json::Value;

use crate::principal::Attributes;

/// The whole config document. Only `server` is read.
#[derive(Debug, Default, Deserialize)]
pub struct Config {
    #[serde(default, deserialize_with = "null_as_default")]
    pub server: ServerConfig,
}

/// `server:` with nothing under it is an empty section.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// `server:` of a `run.yaml`.
#[derive(Debug, Default, Deserialize)]
pub struct ServerConfig {
    #[serde(default, deserialize_with = "lenient_opt")]
    pub port: Option<u16>,
    pub host: Option<String>,
    pub tls_certfile: Option<String>,
    pub tls_keyfile: Option<String>,
    pub tls_cafile: Option<String>,
    pub auth: Option<AuthConfig>,
    pub quota: Option<QuotaConfig>,
    pub cors: Option<Value>,
    /// webmethod's own: connection limits and timeouts.
    pub limits: Option<LimitsConfig>,
    /// webmethod's own: Prometheus metrics on a listener of their own.
    pub metrics: Option<MetricsConfig>,
    /// webmethod's own: serve the OpenAPI document (off without the key).
    pub openapi: Option<OpenApiConfig>,
    pub workers: Option<Value>,
    /// llama-stack's; accepted and ignored (webmethod listens where `host` says).
    pub disable_ipv6: Option<Value>,
    pub registry_refresh_interval_seconds: Option<Value>,
    /// Keys this version does not know; reported as warnings.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `server.limits` (webmethod's own): what one client may hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Seconds to send a whole request head, or a TLS handshake; also how
    /// long a kept-alive connection may wait for its next request (default 10).
    #[serde(default, deserialize_with = "lenient_opt")]
    pub header_read_timeout: Option<f64>,
    /// Connections served at once; more wait to be accepted (default 10,000).
    #[serde(default, deserialize_with = "lenient_opt")]
    pub max_connections: Option<usize>,
    /// The largest request body an extractor reads, in bytes (default 2 MiB).
    #[serde(default, deserialize_with = "lenient_opt")]
    pub max_request_body_bytes: Option<usize>,
}

/// `server.metrics` (webmethod's own).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// `host:port` of the metrics listener (never the API's); `/metrics`
    /// answers there.
    pub address: String,
}

/// `server.openapi` (webmethod's own).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenApiConfig {
    /// The path the document is served at, without authentication
    /// (`/openapi.json`, say). A fixed path no route serves.
    pub path: String,
}

/// `server.auth`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// One provider. Parsed by type in [`ProviderConfig::from_value`], for
    /// exact error paths.
    pub provider_config: Option<Value>,
    /// Several providers (webmethod's own; exclusive with `provider_config`):
    /// a list of provider configs, each with an optional `name` and `cache`.
    pub providers: Option<Value>,
    #[serde(default)]
    pub route_policy: Vec<Value>,
    #[serde(default)]
    pub access_policy: Vec<Value>,
    #[serde(default)]
    pub cache: CacheConfig,
    /// webmethod's own: one JSON line per decision, to a file or stderr.
    pub decision_log: Option<DecisionLogConfig>,
}

/// `server.auth.decision_log`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionLogConfig {
    /// A file (appended to), or `stderr`.
    pub path: String,
}

/// `server.auth.provider_config`, by its `type`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ProviderConfig {
    Custom(CustomConfig),
    UpstreamHeader(UpstreamHeaderConfig),
    ApiKeys(ApiKeysConfig),
    OAuth2Token(OAuth2Config),
    GithubToken(GithubConfig),
    Kubernetes(KubernetesConfig),
}

/// `server.auth.cache` (webmethod's own): the validation cache in front of
/// the provider, keyed by a secret-keyed 128-bit hash of the token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Default: on for `oauth2_token`, `github_token` and `kubernetes`; off for
    /// `custom`, whose endpoint may decide per request path.
    #[serde(default, deserialize_with = "lenient_opt")]
    pub enabled: Option<bool>,
    /// Seconds a validated token is trusted without asking again (never past its `exp`).
    #[serde(default = "default_cache_ttl", deserialize_with = "lenient")]
    pub ttl: u64,
    /// Seconds a rejected token is answered from the cache.
    #[serde(default = "default_failure_ttl", deserialize_with = "lenient")]
    pub failure_ttl: u64,
    #[serde(default = "default_max_entries", deserialize_with = "lenient")]
    pub max_entries: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            enabled: None,
            ttl: default_cache_ttl(),
            failure_ttl: default_failure_ttl(),
            max_entries: default_max_entries(),
        }
    }
}

fn default_cache_ttl() -> u64 {
    300
}
fn default_failure_ttl() -> u64 {
    5
}
fn default_max_entries() -> u64 {
    10_000
}

/// `type: oauth2_token`: JWTs checked against a JWKS, or RFC 7662 introspection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2Config {
    /// The audiences a token may be for: one string or a list (any match).
    #[serde(default = "default_audience")]
    pub audience: OneOrMany,
    /// The issuers a token may come from: one string or a list (any match).
    pub issuer: Option<OneOrMany>,
    /// JWTs only: the `typ` header every token must carry, for example
    /// `at+jwt` (RFC 9068 access tokens). Default: not checked (many
    /// providers send `JWT`).
    pub typ: Option<String>,
    #[serde(default = "yes", deserialize_with = "lenient")]
    pub verify_tls: bool,
    pub tls_cafile: Option<PathBuf>,
    #[serde(default = "default_oauth2_claims")]
    pub claims_mapping: BTreeMap<String, String>,
    /// JWTs verified with the issuer's keys. Without `jwks` and
    /// `introspection`, JWTs with the keys the issuer's discovery names.
    pub jwks: Option<JwksConfig>,
    /// Any token, asked of the issuer (RFC 7662).
    pub introspection: Option<IntrospectionConfig>,
    #[serde(default = "default_timeout", deserialize_with = "lenient")]
    pub timeout: f64,
}

impl OAuth2Config {
    /// Whether tokens are verified locally as JWTs (`jwks`, or neither
    /// `jwks` nor `introspection`), rather than introspected.
    pub fn verifies_jwts(&self) -> bool {
        self.jwks.is_some() || self.introspection.is_none()
    }

    /// The issuer to discover endpoints from, when the config leaves one out.
    pub fn discovers(&self) -> bool {
        match (&self.jwks, &self.introspection) {
            (Some(j), _) => j.uri.is_none(),
            (None, Some(i)) => i.url.is_none(),
            (None, None) => true,
        }
    }
}

fn default_audience() -> OneOrMany {
    OneOrMany(vec!["llama-stack".into()])
}

/// One string or a list of them: `audience: api` or `audience: [api, api-v2]`.
/// Never empty (an empty list is a config error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOrMany(pub Vec<String>);

impl OneOrMany {
    /// Whether `value` is one of them.
    pub fn contains(&self, value: &str) -> bool {
        self.0.iter().any(|v| v == value)
    }

    /// The only one, when there is exactly one.
    pub fn single(&self) -> Option<&str> {
        match self.0.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for OneOrMany {
    /// `a`, or `a or b`, for messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(" or "))
    }
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Shape {
            One(String),
            Many(Vec<String>),
        }
        let values = match Shape::deserialize(deserializer)
            .map_err(|_| de::Error::custom("expected a string or a list of strings"))?
        {
            Shape::One(one) => vec![one],
            Shape::Many(many) => many,
        };
        if values.is_empty() || values.iter().any(String::is_empty) {
            return Err(de::Error::custom(
                "must name at least one, none of them empty",
            ));
        }
        Ok(OneOrMany(values))
    }
}

fn yes() -> bool {
    true
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwksConfig {
    /// Where the keys are. Default: the `jwks_uri` of the issuer's OIDC
    /// discovery document.
    pub uri: Option<String>,
    /// Bearer token for the JWKS fetch (a Kubernetes API server wants one).
    pub token: Option<String>,
    /// Seconds between key refreshes.
    #[serde(default = "default_recheck", deserialize_with = "lenient")]
    pub key_recheck_period: u64,
}

impl fmt::Debug for JwksConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksConfig")
            .field("uri", &self.uri)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("key_recheck_period", &self.key_recheck_period)
            .finish()
    }
}

impl JwksConfig {
    /// Seconds between key refreshes by default (also the discovery
    /// document's, without `jwks`).
    pub const DEFAULT_KEY_RECHECK_PERIOD: u64 = 3600;
}

fn default_recheck() -> u64 {
    JwksConfig::DEFAULT_KEY_RECHECK_PERIOD
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntrospectionConfig {
    /// The RFC 7662 endpoint. Default: the `introspection_endpoint` of the
    /// issuer's OIDC discovery document.
    pub url: Option<String>,
    pub client_id: String,
    pub client_secret: String,
    #[serde(default, deserialize_with = "lenient")]
    pub send_secret_in_body: bool,
}

impl fmt::Debug for IntrospectionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionConfig")
            .field("url", &self.url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("send_secret_in_body", &self.send_secret_in_body)
            .finish()
    }
}

/// `type: github_token`: GitHub access tokens, checked with the GitHub API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubConfig {
    #[serde(default = "default_github")]
    pub github_api_base_url: String,
    #[serde(default = "default_github_claims")]
    pub claims_mapping: BTreeMap<String, String>,
    #[serde(default = "yes", deserialize_with = "lenient")]
    pub verify_tls: bool,
    pub tls_cafile: Option<PathBuf>,
    #[serde(default = "default_timeout", deserialize_with = "lenient")]
    pub timeout: f64,
}

fn default_github() -> String {
    "https://api.github.com".into()
}

/// `type: kubernetes`: service-account and user tokens, checked with a
/// SelfSubjectReview against the API server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesConfig {
    #[serde(default = "default_api_server")]
    pub api_server_url: String,
    #[serde(default = "yes", deserialize_with = "lenient")]
    pub verify_tls: bool,
    pub tls_cafile: Option<PathBuf>,
    #[serde(default = "default_kubernetes_claims")]
    pub claims_mapping: BTreeMap<String, String>,
    #[serde(default = "default_timeout", deserialize_with = "lenient")]
    pub timeout: f64,
}

fn default_api_server() -> String {
    "https://kubernetes.default.svc".into()
}

/// `type: custom`: POST each token to an endpoint of yours.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomConfig {
    pub endpoint: String,
    /// Seconds before the endpoint counts as unreachable (503). Default 10.
    #[serde(default = "default_timeout", deserialize_with = "lenient")]
    pub timeout: f64,
}

fn default_timeout() -> f64 {
    10.0
}

/// `type: upstream_header`: a trusted gateway authenticated the caller.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamHeaderConfig {
    pub principal_header: String,
    pub attributes_header: Option<String>,
}

/// `type: api_keys`: static keys, each with its principal and attributes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeysConfig {
    pub keys: Vec<ApiKeyConfig>,
}

/// One key: in clear (`key`, hashed at load) or as `key_sha256` (hex).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    pub key: Option<String>,
    pub key_sha256: Option<String>,
    pub principal: String,
    #[serde(default)]
    pub attributes: Attributes,
}

impl fmt::Debug for ApiKeyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ApiKeyConfig")
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .field("key_sha256", &self.key_sha256)
            .field("principal", &self.principal)
            .field("attributes", &self.attributes)
            .finish()
    }
}

/// The provider types llama-stack knows, and the ones served here.
pub const PROVIDER_TYPES: &[&str] = &[
    "custom",
    "upstream_header",
    "api_keys",
    "oauth2_token",
    "github_token",
    "kubernetes",
];

/// A number given as a number or, after `${env.X}` substitution, as a string.
#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText<T> {
    Number(T),
    Text(String),
}

impl<T: FromStr> NumberOrText<T>
where
    T::Err: fmt::Display,
{
    fn into_number<E: de::Error>(self) -> Result<T, E> {
        match self {
            NumberOrText::Number(v) => Ok(v),
            NumberOrText::Text(s) => s
                .trim()
                .parse()
                .map_err(|e| E::custom(format!("invalid number {s:?}: {e}"))),
        }
    }
}

fn lenient<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + Deserialize<'de>,
    T::Err: fmt::Display,
{
    NumberOrText::<T>::deserialize(deserializer)?.into_number()
}

fn lenient_opt<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr + Deserialize<'de>,
    T::Err: fmt::Display,
{
    Option::<NumberOrText<T>>::deserialize(deserializer)?
        .map(NumberOrText::into_number)
        .transpose()
}

/// `server.quota`: requests per window per principal and per client address.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    #[serde(default)]
    pub kvstore: KvStoreConfig,
    #[serde(default = "default_anonymous", deserialize_with = "lenient")]
    pub anonymous_max_requests: u64,
    #[serde(default = "default_authenticated", deserialize_with = "lenient")]
    pub authenticated_max_requests: u64,
    #[serde(default)]
    pub period: QuotaPeriod,
    /// webmethod's own: a window of this many seconds instead of `period`.
    #[serde(default, deserialize_with = "lenient_opt")]
    pub period_seconds: Option<u64>,
    /// webmethod's own: proxies (addresses or networks) whose
    /// `X-Forwarded-For` / `Forwarded` headers give the client address.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// webmethod's own: the one header a trusted proxy's client is read
    /// from, `x-forwarded-for` (default) or `forwarded` (RFC 7239).
    pub forwarded_header: Option<String>,
    /// webmethod's own: IPv6 clients are counted per prefix of this length
    /// (default 64).
    #[serde(default, deserialize_with = "lenient_opt")]
    pub ipv6_prefix: Option<u8>,
    /// webmethod's own: the most counters the memory store keeps (default
    /// 100,000); see `MemoryStore` for what happens at the bound.
    #[serde(default, deserialize_with = "lenient_opt")]
    pub max_entries: Option<usize>,
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
    #[default]
    Day,
    Hour,
    Minute,
}

/// `server.quota.kvstore`: `{type: memory}`, `{type: sqlite, db_path}` or
/// `{type: redis, url}` (or llama-stack's `host` and `port`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KvStoreConfig {
    #[serde(rename = "type", default = "memory")]
    pub kind: String,
    pub db_path: Option<PathBuf>,
    pub url: Option<String>,
    pub host: Option<String>,
    #[serde(default, deserialize_with = "lenient_opt")]
    pub port: Option<u16>,
    pub namespace: Option<String>,
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

/// llama-stack's default mapping for `oauth2_token`.
pub fn default_oauth2_claims() -> BTreeMap<String, String> {
    pairs(&[
        ("sub", "roles"),
        ("username", "roles"),
        ("groups", "teams"),
        ("team", "teams"),
        ("project", "projects"),
        ("tenant", "namespaces"),
        ("namespace", "namespaces"),
    ])
}

/// llama-stack's default mapping for `github_token`.
pub fn default_github_claims() -> BTreeMap<String, String> {
    pairs(&[("login", "roles"), ("organizations", "teams")])
}

/// llama-stack's default mapping for `kubernetes`.
pub fn default_kubernetes_claims() -> BTreeMap<String, String> {
    pairs(&[("username", "roles"), ("groups", "roles")])
}

fn pairs(p: &[(&str, &str)]) -> BTreeMap<String, String> {
    p.iter()
        .map(|(c, a)| ((*c).to_owned(), (*a).to_owned()))
        .collect()
}
