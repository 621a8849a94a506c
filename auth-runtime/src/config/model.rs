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

use crate::config::shown::Url;
use crate::principal::Attributes;

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
pub struct Config {
    /// `server`: everything webmethod reads. Absent or empty, every default
    /// applies (no authentication, no quota, plain HTTP on 127.0.0.1:8321).
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
pub struct OpenApiConfig {
    /// `server.openapi.path`: the path the document is served at, without
    /// authentication (`/openapi.json`, say). A fixed path no route serves.
    /// Required, no default.
    pub path: String,
}

/// `server.auth`.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// `server.auth.provider_config`: one provider, by its `type`. Parsed by
    /// type in [`ProviderConfig::from_value`], for exact error paths.
    /// Default: none (with no `providers` either, authentication is off).
    pub provider_config: Option<Value>,
    /// `server.auth.providers`: several providers (webmethod's own; exclusive
    /// with `provider_config`): a list of provider configs, each with an
    /// optional `name` and `cache`. Default: none.
    pub providers: Option<Value>,
    /// `server.auth.route_policy`: llama-stack's permit/forbid rules over
    /// request paths, compiled into a [`RoutePolicy`](crate::authz::RoutePolicy).
    /// Default: empty (every route allowed).
    #[serde(default)]
    pub route_policy: Vec<Value>,
    /// `server.auth.access_policy`: llama-stack's permit/forbid rules over
    /// resources, compiled into an [`AccessPolicy`](crate::authz::AccessPolicy).
    /// Default: empty (llama-stack's default policy).
    #[serde(default)]
    pub access_policy: Vec<Value>,
    /// `server.auth.cache` (webmethod's own): the validation cache. Default:
    /// every field at its default.
    #[serde(default)]
    pub cache: CacheConfig,
    /// `server.auth.decision_log` (webmethod's own): one JSON line per
    /// decision, to a file or stderr. Default: none (no decision log).
    pub decision_log: Option<DecisionLogConfig>,
}

impl fmt::Debug for AuthConfig {
    /// The providers' secrets and URL credentials hidden.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::config::shown::ProviderValue;
        f.debug_struct("AuthConfig")
            .field(
                "provider_config",
                &self.provider_config.as_ref().map(ProviderValue),
            )
            .field("providers", &self.providers.as_ref().map(ProviderValue))
            .field("route_policy", &self.route_policy)
            .field("access_policy", &self.access_policy)
            .field("cache", &self.cache)
            .field("decision_log", &self.decision_log)
            .finish()
    }
}

/// `server.auth.decision_log`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DecisionLogConfig {
    /// `server.auth.decision_log.path`: a file (appended to), or `stderr`.
    /// Required, no default.
    pub path: String,
}

/// `server.auth.provider_config`, by its `type`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ProviderConfig {
    /// `type: custom`: an endpoint of yours validates each token.
    Custom(CustomConfig),
    /// `type: upstream_header`: a trusted gateway names the caller in headers.
    UpstreamHeader(UpstreamHeaderConfig),
    /// `type: api_keys`: static keys, each with its principal.
    ApiKeys(ApiKeysConfig),
    /// `type: oauth2_token`: JWTs checked against a JWKS, or introspection.
    OAuth2Token(OAuth2Config),
    /// `type: github_token`: GitHub access tokens.
    GithubToken(GithubConfig),
    /// `type: kubernetes`: tokens checked by the Kubernetes API server.
    Kubernetes(KubernetesConfig),
}

/// `server.auth.cache` (webmethod's own): the validation cache in front of
/// the provider, keyed by a secret-keyed 128-bit hash of the token. An entry
/// of `server.auth.providers` may have a `cache` of its own, with the same keys.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// `server.auth.cache.enabled`: whether validations are cached. Default:
    /// on for `oauth2_token`, `github_token` and `kubernetes`; off for
    /// `custom`, whose endpoint may decide per request path, and for a
    /// provider set in code. `api_keys` and `upstream_header` are never cached.
    #[serde(default, deserialize_with = "lenient_opt")]
    pub enabled: Option<bool>,
    /// `server.auth.cache.ttl`: seconds a validated token is trusted without
    /// asking again (never past its `exp`); 0 turns the cache off. Default 300.
    #[serde(default = "default_cache_ttl", deserialize_with = "lenient")]
    pub ttl: u64,
    /// `server.auth.cache.failure_ttl`: seconds a rejected token is answered
    /// from the cache. Default 5.
    #[serde(default = "default_failure_ttl", deserialize_with = "lenient")]
    pub failure_ttl: u64,
    /// `server.auth.cache.max_entries`: the most tokens cached; 0 turns the
    /// cache off. Default 10,000.
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
///
/// Its fields are keys of `server.auth.provider_config` (or of an entry of
/// `server.auth.providers`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2Config {
    /// `server.auth.provider_config.audience`: the audiences a token may be
    /// for: one string or a list (any match). Default `llama-stack`.
    #[serde(default = "default_audience")]
    pub audience: OneOrMany,
    /// `server.auth.provider_config.issuer`: the issuers a token may come
    /// from: one string or a list (any match). Discovery needs exactly one.
    /// Default: none (the issuer is not checked).
    pub issuer: Option<OneOrMany>,
    /// `server.auth.provider_config.typ`, JWTs only: the `typ` header every
    /// token must carry, for example `at+jwt` (RFC 9068 access tokens).
    /// Default: not checked (many providers send `JWT`).
    pub typ: Option<String>,
    /// `server.auth.provider_config.verify_tls`: whether the identity
    /// provider's TLS certificate is checked (`false` is for tests only).
    /// Default `true`.
    #[serde(default = "yes", deserialize_with = "lenient")]
    pub verify_tls: bool,
    /// `server.auth.provider_config.tls_cafile`: PEM file of the CAs to trust
    /// for the identity provider, instead of the system's. Default: none.
    pub tls_cafile: Option<PathBuf>,
    /// `server.auth.provider_config.claims_mapping`: `claim: attribute`
    /// pairs; each claim's values become values of the user's attribute.
    /// Default: llama-stack's ([`default_oauth2_claims`]).
    #[serde(default = "default_oauth2_claims")]
    pub claims_mapping: BTreeMap<String, String>,
    /// `server.auth.provider_config.jwks`: JWTs verified with the issuer's
    /// keys. Without `jwks` and `introspection` (the default), JWTs with the
    /// keys the issuer's discovery names.
    pub jwks: Option<JwksConfig>,
    /// `server.auth.provider_config.introspection`: any token, asked of the
    /// issuer (RFC 7662). Exclusive with `jwks`. Default: none.
    pub introspection: Option<IntrospectionConfig>,
    /// `server.auth.provider_config.timeout`: seconds to connect to the
    /// identity provider and to get its whole answer. Above 0, at most 3600;
    /// default 10.
    #[serde(default = "default_timeout", deserialize_with = "lenient")]
    pub timeout: f64,
}

impl OAuth2Config {
    /// Whether tokens are verified locally as JWTs (`jwks`, or neither
    /// `jwks` nor `introspection`), rather than introspected.
    pub fn verifies_jwts(&self) -> bool {
        self.jwks.is_some() || self.introspection.is_none()
    }

    /// Whether the endpoint in use (the JWKS, or introspection) is read from
    /// the issuer's OIDC discovery document, the config leaving it out.
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
#[derive(Clone, PartialEq, Eq)]
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

    /// Each of them, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

impl fmt::Display for OneOrMany {
    /// `a`, or `a or b`, for messages; a URL among them (an issuer) without
    /// its credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, value) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" or ")?;
            }
            write!(f, "{}", Url(value))?;
        }
        Ok(())
    }
}

impl fmt::Debug for OneOrMany {
    /// A URL among them (an issuer) without its credentials.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OneOrMany")
            .field(&self.0.iter().map(|v| Url(v)).collect::<Vec<_>>())
            .finish()
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

/// `server.auth.provider_config.jwks` of `type: oauth2_token`: where the
/// keys that verify JWTs come from.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwksConfig {
    /// `server.auth.provider_config.jwks.uri`: where the keys are. Default:
    /// the `jwks_uri` of the issuer's OIDC discovery document.
    pub uri: Option<String>,
    /// `server.auth.provider_config.jwks.token`: bearer token for the JWKS
    /// fetch (a Kubernetes API server wants one). Default: none.
    pub token: Option<String>,
    /// `server.auth.provider_config.jwks.key_recheck_period`: seconds between
    /// key refreshes. At least 1; default 3600
    /// ([`DEFAULT_KEY_RECHECK_PERIOD`](Self::DEFAULT_KEY_RECHECK_PERIOD)).
    #[serde(default = "default_recheck", deserialize_with = "lenient")]
    pub key_recheck_period: u64,
}

impl fmt::Debug for JwksConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwksConfig")
            .field("uri", &self.uri.as_deref().map(Url))
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

/// `server.auth.provider_config.introspection` of `type: oauth2_token`: the
/// RFC 7662 endpoint and this API's client credentials for it.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntrospectionConfig {
    /// `server.auth.provider_config.introspection.url`: the RFC 7662
    /// endpoint. Default: the `introspection_endpoint` of the issuer's OIDC
    /// discovery document.
    pub url: Option<String>,
    /// `server.auth.provider_config.introspection.client_id`: this API's
    /// client id at the endpoint. Required.
    pub client_id: String,
    /// `server.auth.provider_config.introspection.client_secret`: this API's
    /// client secret at the endpoint. Required; never logged.
    pub client_secret: String,
    /// `server.auth.provider_config.introspection.send_secret_in_body`: send
    /// the client credentials in the form body instead of HTTP Basic auth.
    /// Default `false`.
    #[serde(default, deserialize_with = "lenient")]
    pub send_secret_in_body: bool,
}

impl fmt::Debug for IntrospectionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IntrospectionConfig")
            .field("url", &self.url.as_deref().map(Url))
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("send_secret_in_body", &self.send_secret_in_body)
            .finish()
    }
}

/// `type: github_token`: GitHub access tokens, checked with the GitHub API.
///
/// Its fields are keys of `server.auth.provider_config` (or of an entry of
/// `server.auth.providers`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubConfig {
    /// `server.auth.provider_config.github_api_base_url`: the GitHub API
    /// (`/user` and `/user/orgs` are asked under it). Default
    /// `https://api.github.com`.
    #[serde(default = "default_github")]
    pub github_api_base_url: String,
    /// `server.auth.provider_config.claims_mapping`: `claim: attribute` pairs
    /// over the user's `login`, `id` and `organizations`. Default:
    /// llama-stack's ([`default_github_claims`]).
    #[serde(default = "default_github_claims")]
    pub claims_mapping: BTreeMap<String, String>,
    /// `server.auth.provider_config.verify_tls`: whether the API's TLS
    /// certificate is checked (`false` is for tests only). Default `true`.
    #[serde(default = "yes", deserialize_with = "lenient")]
    pub verify_tls: bool,
    /// `server.auth.provider_config.tls_cafile`: PEM file of the CAs to trust
    /// for the API, instead of the system's. Default: none.
    pub tls_cafile: Option<PathBuf>,
    /// `server.auth.provider_config.timeout`: seconds to connect to the API
    /// and to get its whole answer. Above 0, at most 3600; default 10.
    #[serde(default = "default_timeout", deserialize_with = "lenient")]
    pub timeout: f64,
}

impl fmt::Debug for GithubConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GithubConfig")
            .field("github_api_base_url", &Url(&self.github_api_base_url))
            .field("claims_mapping", &self.claims_mapping)
            .field("verify_tls", &self.verify_tls)
            .field("tls_cafile", &self.tls_cafile)
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn default_github() -> String {
    "https://api.github.com".into()
}

/// `type: kubernetes`: service-account and user tokens, checked with a
/// SelfSubjectReview against the API server.
///
/// Its fields are keys of `server.auth.provider_config` (or of an entry of
/// `server.auth.providers`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesConfig {
    /// `server.auth.provider_config.api_server_url`: the Kubernetes API
    /// server. Default `https://kubernetes.default.svc`.
    #[serde(default = "default_api_server")]
    pub api_server_url: String,
    /// `server.auth.provider_config.verify_tls`: whether the API server's TLS
    /// certificate is checked (`false` is for tests only). Default `true`.
    #[serde(default = "yes", deserialize_with = "lenient")]
    pub verify_tls: bool,
    /// `server.auth.provider_config.tls_cafile`: PEM file of the CAs to trust
    /// for the API server, instead of the system's. Default: none.
    pub tls_cafile: Option<PathBuf>,
    /// `server.auth.provider_config.claims_mapping`: `claim: attribute` pairs
    /// over the review's `userInfo` (`username`, `groups`, ...). Default:
    /// llama-stack's ([`default_kubernetes_claims`]).
    #[serde(default = "default_kubernetes_claims")]
    pub claims_mapping: BTreeMap<String, String>,
    /// `server.auth.provider_config.timeout`: seconds to connect to the API
    /// server and to get its whole answer. Above 0, at most 3600; default 10.
    #[serde(default = "default_timeout", deserialize_with = "lenient")]
    pub timeout: f64,
}

impl fmt::Debug for KubernetesConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KubernetesConfig")
            .field("api_server_url", &Url(&self.api_server_url))
            .field("verify_tls", &self.verify_tls)
            .field("tls_cafile", &self.tls_cafile)
            .field("claims_mapping", &self.claims_mapping)
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn default_api_server() -> String {
    "https://kubernetes.default.svc".into()
}

/// `type: custom`: POST each token to an endpoint of yours.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomConfig {
    /// `server.auth.provider_config.endpoint`: the `http` or `https` URL each
    /// token is POSTed to. Required, no default.
    pub endpoint: String,
    /// `server.auth.provider_config.timeout`: seconds before the endpoint
    /// counts as unreachable (503). Above 0, at most 3600; default 10.
    #[serde(default = "default_timeout", deserialize_with = "lenient")]
    pub timeout: f64,
}

impl fmt::Debug for CustomConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomConfig")
            .field("endpoint", &Url(&self.endpoint))
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn default_timeout() -> f64 {
    10.0
}

/// `type: upstream_header`: a trusted gateway authenticated the caller.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamHeaderConfig {
    /// `server.auth.provider_config.principal_header`: the header the gateway
    /// puts the caller's principal in; a request without it (or with it
    /// twice) is refused. Required, no default.
    pub principal_header: String,
    /// `server.auth.provider_config.attributes_header`: the header the
    /// gateway puts the caller's attributes in, as a JSON object. Default:
    /// none (users have no attributes).
    pub attributes_header: Option<String>,
}

/// `type: api_keys`: static keys, each with its principal and attributes.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeysConfig {
    /// `server.auth.provider_config.keys`: the keys. Required, no default.
    pub keys: Vec<ApiKeyConfig>,
}

/// One key: in clear (`key`, hashed at load) or as `key_sha256` (hex).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    /// `server.auth.provider_config.keys[i].key`: the key in clear (a bearer
    /// token: printable ASCII, no spaces). Exclusive with `key_sha256`; one
    /// of them is required.
    pub key: Option<String>,
    /// `server.auth.provider_config.keys[i].key_sha256`: the key's SHA-256
    /// digest, 64 hex digits. Exclusive with `key`.
    pub key_sha256: Option<String>,
    /// `server.auth.provider_config.keys[i].principal`: who the key's caller
    /// is. Required, not empty.
    pub principal: String,
    /// `server.auth.provider_config.keys[i].attributes`: the caller's
    /// attributes (`roles`, `scopes`, ...), each a list. Default: empty.
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
