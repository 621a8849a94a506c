//! Server configuration: YAML in llama-stack's `run.yaml` shape.
//!
//! Loading goes YAML text -> generic value (parser limits apply) -> `${env.X}`
//! substitution -> typed config (errors carry the field path) -> checks that
//! need more than a type (URLs, keys). Any error refuses the start.

mod env;
mod error;
mod model;

pub use error::ConfigError;
pub use model::{
    ApiKeyConfig, ApiKeysConfig, AuthConfig, CacheConfig, Config, CustomConfig, GithubConfig,
    IntrospectionConfig, JwksConfig, KubernetesConfig, KvStoreConfig, OAuth2Config, PROVIDER_TYPES,
    ProviderConfig, QuotaConfig, QuotaPeriod, ServerConfig, UpstreamHeaderConfig,
};

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Default address of the server, as llama-stack's.
pub const DEFAULT_HOST: &str = "127.0.0.1";
pub const DEFAULT_PORT: u16 = 8321;

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: file.clone(),
            source,
        })?;
        Config::parse(&text, &file, &|name| std::env::var(name).ok())
    }

    /// Parses a config document; `file` names it in errors, `lookup` reads the
    /// environment for `${env.X}`.
    pub fn parse(
        text: &str,
        file: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        // serde-saphyr's default budget bounds depth, nodes, aliases and sizes,
        // so a hostile document (alias bombs, deep nesting) is refused.
        let mut value: Value = serde_saphyr::from_str(text).map_err(|e| ConfigError::Yaml {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        if value.is_null() {
            return Ok(Config::default());
        }
        if !value.is_object() {
            return Err(ConfigError::field(
                "",
                "the config must be a mapping with a `server` section",
            ));
        }
        env::substitute(&mut value, "", lookup)?;
        let config: Config = typed(value, "")?;
        config.server.check()?;
        Ok(config)
    }

    /// Warnings about keys that are accepted but not acted on.
    pub fn warnings(&self) -> Vec<String> {
        let s = &self.server;
        let mut out = Vec::new();
        let ignored = [
            ("tls_certfile", s.tls_certfile.is_some()),
            ("tls_keyfile", s.tls_keyfile.is_some()),
            ("tls_cafile", s.tls_cafile.is_some()),
            ("cors", s.cors.is_some()),
            ("workers", s.workers.is_some()),
            (
                "registry_refresh_interval_seconds",
                s.registry_refresh_interval_seconds.is_some(),
            ),
        ];
        for (key, present) in ignored {
            if present {
                out.push(format!(
                    "config field `server.{key}` is not supported yet and is ignored"
                ));
            }
        }
        for key in s.other.keys() {
            out.push(format!(
                "config field `server.{key}` is unknown and is ignored"
            ));
        }
        out
    }
}

impl ServerConfig {
    /// Checks that a type cannot express.
    fn check(&self) -> Result<(), ConfigError> {
        if let Some(auth) = &self.auth {
            auth.access_policy()?;
            auth.route_policy()?;
            auth.provider()?;
        }
        Ok(())
    }
}

impl AuthConfig {
    /// The compiled `access_policy` (the default policy when empty).
    pub fn access_policy(&self) -> Result<crate::authz::AccessPolicy, ConfigError> {
        crate::authz::AccessPolicy::from_values(&self.access_policy)
            .map_err(|e| ConfigError::field(e.path("server.auth.access_policy"), e.message))
    }

    /// The compiled `route_policy` (empty: every route allowed).
    pub fn route_policy(&self) -> Result<crate::authz::RoutePolicy, ConfigError> {
        crate::authz::RoutePolicy::from_values(&self.route_policy)
            .map_err(|e| ConfigError::field(e.path("server.auth.route_policy"), e.message))
    }

    /// The typed provider config, or `None` when authentication is off.
    pub fn provider(&self) -> Result<Option<ProviderConfig>, ConfigError> {
        self.provider_config
            .as_ref()
            .map(|v| ProviderConfig::from_value(v.clone(), "server.auth.provider_config"))
            .transpose()
    }
}

impl ProviderConfig {
    /// Parses a provider config by its `type`; `path` locates it for errors.
    pub fn from_value(mut value: Value, path: &str) -> Result<ProviderConfig, ConfigError> {
        let Some(map) = value.as_object_mut() else {
            return Err(ConfigError::field(path, "expected a mapping with a `type`"));
        };
        let kind = match map.remove("type") {
            Some(Value::String(kind)) => kind,
            Some(_) => {
                return Err(ConfigError::field(
                    format!("{path}.type"),
                    "expected a string",
                ));
            }
            None => {
                return Err(ConfigError::field(
                    format!("{path}.type"),
                    format!("missing; one of: {}", PROVIDER_TYPES.join(", ")),
                ));
            }
        };
        let config = match kind.as_str() {
            "custom" => ProviderConfig::Custom(typed(value, path)?),
            "upstream_header" => ProviderConfig::UpstreamHeader(typed(value, path)?),
            "api_keys" => ProviderConfig::ApiKeys(typed(value, path)?),
            "oauth2_token" => ProviderConfig::OAuth2Token(typed(value, path)?),
            "github_token" => ProviderConfig::GithubToken(typed(value, path)?),
            "kubernetes" => ProviderConfig::Kubernetes(typed(value, path)?),
            other => {
                return Err(ConfigError::field(
                    format!("{path}.type"),
                    format!(
                        "unknown provider type `{other}`; one of: {}",
                        PROVIDER_TYPES.join(", ")
                    ),
                ));
            }
        };
        config.check(path)?;
        Ok(config)
    }

    fn check(&self, path: &str) -> Result<(), ConfigError> {
        match self {
            ProviderConfig::OAuth2Token(c) => {
                check_timeout(c.timeout, path)?;
                check_mapping(&c.claims_mapping, path)?;
                match (&c.jwks, &c.introspection) {
                    (None, None) => {
                        return Err(ConfigError::field(
                            path,
                            "one of `jwks` or `introspection` must be configured",
                        ));
                    }
                    (Some(_), Some(_)) => {
                        return Err(ConfigError::field(
                            path,
                            "configure `jwks` or `introspection`, not both",
                        ));
                    }
                    (Some(jwks), None) => {
                        check_url(&jwks.uri, &format!("{path}.jwks.uri"))?;
                        if jwks.key_recheck_period == 0 {
                            return Err(ConfigError::field(
                                format!("{path}.jwks.key_recheck_period"),
                                "must be at least 1 second",
                            ));
                        }
                    }
                    (None, Some(i)) => check_url(&i.url, &format!("{path}.introspection.url"))?,
                }
            }
            ProviderConfig::GithubToken(c) => {
                check_timeout(c.timeout, path)?;
                check_mapping(&c.claims_mapping, path)?;
                check_url(
                    &c.github_api_base_url,
                    &format!("{path}.github_api_base_url"),
                )?;
            }
            ProviderConfig::Kubernetes(c) => {
                check_timeout(c.timeout, path)?;
                check_mapping(&c.claims_mapping, path)?;
                check_url(&c.api_server_url, &format!("{path}.api_server_url"))?;
            }
            ProviderConfig::Custom(c) => {
                let url = reqwest::Url::parse(&c.endpoint).map_err(|e| {
                    ConfigError::field(format!("{path}.endpoint"), format!("not a URL: {e}"))
                })?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(ConfigError::field(
                        format!("{path}.endpoint"),
                        "must be an http or https URL",
                    ));
                }
                if !(c.timeout.is_finite() && c.timeout > 0.0 && c.timeout <= 3600.0) {
                    return Err(ConfigError::field(
                        format!("{path}.timeout"),
                        "must be between 0 and 3600 seconds",
                    ));
                }
            }
            ProviderConfig::UpstreamHeader(c) => {
                let headers = [
                    ("principal_header", Some(&c.principal_header)),
                    ("attributes_header", c.attributes_header.as_ref()),
                ];
                for (key, header) in headers {
                    if let Some(h) = header
                        && axum::http::HeaderName::from_bytes(h.as_bytes()).is_err()
                    {
                        return Err(ConfigError::field(
                            format!("{path}.{key}"),
                            format!("{h:?} is not a valid header name"),
                        ));
                    }
                }
            }
            ProviderConfig::ApiKeys(c) => {
                for (i, key) in c.keys.iter().enumerate() {
                    let at = format!("{path}.keys[{i}]");
                    match (&key.key, &key.key_sha256) {
                        (Some(k), None) if k.is_empty() => {
                            return Err(ConfigError::field(
                                format!("{at}.key"),
                                "must not be empty",
                            ));
                        }
                        (Some(k), None) if !crate::authn::bearer::is_token(k) => {
                            return Err(ConfigError::field(
                                format!("{at}.key"),
                                "must be printable ASCII without spaces (a bearer token)",
                            ));
                        }
                        (None, Some(h)) if h.len() != 64 || hex::decode(h).is_err() => {
                            return Err(ConfigError::field(
                                format!("{at}.key_sha256"),
                                "must be 64 hex digits (a SHA-256 digest)",
                            ));
                        }
                        (Some(_), Some(_)) => {
                            return Err(ConfigError::field(
                                at,
                                "set `key` or `key_sha256`, not both",
                            ));
                        }
                        (None, None) => {
                            return Err(ConfigError::field(at, "needs `key` or `key_sha256`"));
                        }
                        _ => {}
                    }
                    if key.principal.is_empty() {
                        return Err(ConfigError::field(
                            format!("{at}.principal"),
                            "must not be empty",
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

fn check_url(url: &str, path: &str) -> Result<(), ConfigError> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| ConfigError::field(path, format!("not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(ConfigError::field(
            path,
            "must be an http or https URL with a host",
        ));
    }
    Ok(())
}

fn check_timeout(timeout: f64, path: &str) -> Result<(), ConfigError> {
    if timeout.is_finite() && timeout > 0.0 && timeout <= 3600.0 {
        Ok(())
    } else {
        Err(ConfigError::field(
            format!("{path}.timeout"),
            "must be between 0 and 3600 seconds",
        ))
    }
}

fn check_mapping(
    mapping: &std::collections::BTreeMap<String, String>,
    path: &str,
) -> Result<(), ConfigError> {
    match mapping
        .iter()
        .find(|(claim, attribute)| claim.is_empty() || attribute.is_empty())
    {
        Some((claim, _)) => Err(ConfigError::field(
            format!("{path}.claims_mapping"),
            format!("claim {claim:?}: neither the claim nor the attribute may be empty"),
        )),
        None => Ok(()),
    }
}

/// Deserializes with the path of any bad field, under `prefix`.
fn typed<T: DeserializeOwned>(value: Value, prefix: &str) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let err = ConfigError::field(path, e.into_inner().to_string());
        if prefix.is_empty() {
            err
        } else {
            err.under(prefix)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<Config, ConfigError> {
        Config::parse(yaml, "test.yaml", &|name| {
            (name == "AUTH_URL").then(|| "http://127.0.0.1:9/auth".to_owned())
        })
    }

    fn error_path(yaml: &str) -> (String, String) {
        let err = parse(yaml).expect_err(yaml);
        (err.path().unwrap_or("<none>").to_owned(), err.to_string())
    }

    #[test]
    fn a_real_run_yaml_loads() {
        let config = parse(
            r#"
version: 2
image_name: starter
apis: [inference, safety]
providers:
  inference:
    - provider_id: ollama
      provider_type: remote::ollama
      config: {url: "${env.OLLAMA_URL:=http://localhost:11434}"}
models:
  - model_id: llama3.2:3b
    provider_id: ollama
server:
  port: ${env.LLAMA_STACK_PORT:=8321}
  host: 0.0.0.0
  tls_certfile: /etc/cert.pem
  cors: true
  workers: 2
  some_future_key: 1
  auth:
    provider_config:
      type: custom
      endpoint: ${env.AUTH_URL}
"#,
        )
        .unwrap();
        assert_eq!(config.server.port, Some(8321));
        assert_eq!(config.server.host.as_deref(), Some("0.0.0.0"));
        let Some(ProviderConfig::Custom(custom)) =
            config.server.auth.as_ref().unwrap().provider().unwrap()
        else {
            panic!("custom provider expected")
        };
        assert_eq!(custom.endpoint, "http://127.0.0.1:9/auth");
        assert_eq!(custom.timeout, 10.0);
        let warnings = config.warnings().join("\n");
        for key in [
            "server.tls_certfile",
            "server.cors",
            "server.workers",
            "server.some_future_key",
        ] {
            assert!(warnings.contains(key), "{warnings}");
        }
    }

    #[test]
    fn empty_documents_are_the_default() {
        assert!(parse("").unwrap().server.auth.is_none());
        assert!(parse("# nothing\n").unwrap().server.auth.is_none());
        assert!(parse("server:\n").unwrap().server.port.is_none());
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            ("server:\n  port: abc\n", "server.port"),
            ("server:\n  port: 70000\n", "server.port"),
            (
                "server:\n  auth:\n    provider_config: {endpoint: x}\n",
                "server.auth.provider_config.type",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: ldap}\n",
                "server.auth.provider_config.type",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: custom}\n",
                "server.auth.provider_config",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: custom, endpoint: 'not a url'}\n",
                "server.auth.provider_config.endpoint",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: custom, endpoint: 'ftp://x'}\n",
                "server.auth.provider_config.endpoint",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: custom, endpoint: 'http://x', timeout: -1}\n",
                "server.auth.provider_config.timeout",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: custom, endpoint: 'http://x', timout: 3}\n",
                "server.auth.provider_config.timout",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: upstream_header, principal_header: 'bad header'}\n",
                "server.auth.provider_config.principal_header",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: api_keys, keys: [{key: a, principal: p}, {key: b, key_sha256: c, principal: q}]}\n",
                "server.auth.provider_config.keys[1]",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: api_keys, keys: [{key_sha256: abc, principal: p}]}\n",
                "server.auth.provider_config.keys[0].key_sha256",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: api_keys, keys: [{key: 'a b', principal: p}]}\n",
                "server.auth.provider_config.keys[0].key",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: api_keys, keys: [{key: k, principal: p, attributes: {roles: admin}}]}\n",
                "server.auth.provider_config.keys[0].attributes.roles",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: api_keys, keys: [{key: k, principal: ''}]}\n",
                "server.auth.provider_config.keys[0].principal",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: custom, endpoint: '${env.NOT_SET}'}\n",
                "server.auth.provider_config.endpoint",
            ),
            (
                "server:\n  auth:\n    route_policy: [{permit: {paths: '*'}}, {permit: {paths: 'regex:('}}]\n",
                "server.auth.route_policy[1].permit.paths",
            ),
            (
                "server:\n  auth:\n    access_policy: [{permit: {actions: [read, write]}}]\n",
                "server.auth.access_policy[0].permit.actions",
            ),
            (
                "server:\n  auth:\n    access_policy: [{permit: {actions: read}, when: 'user is admin'}]\n",
                "server.auth.access_policy[0].when",
            ),
            (
                "server:\n  auth:\n    access_policy: [{permit: {actions: read}, forbid: {actions: read}}]\n",
                "server.auth.access_policy[0]",
            ),
            (
                "server:\n  auth:\n    access_policy: [{permit: {actions: read, principle: bob}}]\n",
                "server.auth.access_policy[0].permit.principle",
            ),
            (
                "server:\n  auth:\n    providr_config: {}\n",
                "server.auth.providr_config",
            ),
            ("- just a list\n", "(document)"),
        ];
        for (yaml, path) in cases {
            let (got, message) = error_path(yaml);
            assert_eq!(got, path, "{yaml}\n{message}");
            assert!(message.contains(path), "{message}");
        }
    }

    #[test]
    fn token_provider_errors_name_the_field() {
        let p = "server:\n  auth:\n    provider_config: ";
        let cases = [
            ("{type: oauth2_token}", "server.auth.provider_config"),
            (
                "{type: oauth2_token, jwks: {uri: 'x'}}",
                "server.auth.provider_config.jwks.uri",
            ),
            (
                "{type: oauth2_token, jwks: {uri: 'http://x', key_recheck_period: 0}}",
                "server.auth.provider_config.jwks.key_recheck_period",
            ),
            (
                "{type: oauth2_token, verify_tls: maybe, jwks: {uri: 'http://x'}}",
                "server.auth.provider_config.verify_tls",
            ),
            (
                "{type: oauth2_token, jwks: {uri: 'http://x'}, introspection: {url: 'http://y', client_id: a, client_secret: b}}",
                "server.auth.provider_config",
            ),
            (
                "{type: oauth2_token, introspection: {url: 'http://y', client_id: a}}",
                "server.auth.provider_config.introspection",
            ),
            (
                "{type: kubernetes, claims_mapping: {username: ''}}",
                "server.auth.provider_config.claims_mapping",
            ),
            (
                "{type: kubernetes, api_server_url: 'kubernetes.default.svc'}",
                "server.auth.provider_config.api_server_url",
            ),
            (
                "{type: github_token, github_api_base_url: 'api.github.com'}",
                "server.auth.provider_config.github_api_base_url",
            ),
            (
                "{type: github_token, timeout: 0}",
                "server.auth.provider_config.timeout",
            ),
        ];
        for (provider, path) in cases {
            let yaml = format!("{p}{provider}\n");
            let (got, message) = error_path(&yaml);
            assert_eq!(got, path, "{yaml}\n{message}");
        }
        let (got, _) = error_path("server:\n  auth:\n    cache: {ttl: forever}\n");
        assert_eq!(got, "server.auth.cache.ttl");
    }

    #[test]
    fn token_provider_defaults_are_llama_stacks() {
        let config = parse("server:\n  auth:\n    provider_config: {type: oauth2_token, verify_tls: '${env.NOPE:=false}', jwks: {uri: 'https://idp/jwks'}}\n").unwrap();
        let Some(ProviderConfig::OAuth2Token(c)) =
            config.server.auth.as_ref().unwrap().provider().unwrap()
        else {
            panic!()
        };
        assert_eq!(c.audience, "llama-stack");
        assert!(!c.verify_tls);
        assert_eq!(c.jwks.as_ref().unwrap().key_recheck_period, 3600);
        assert_eq!(c.claims_mapping["sub"], "roles");
        assert_eq!(c.claims_mapping["namespace"], "namespaces");
        let config = parse("server:\n  auth:\n    provider_config: {type: kubernetes}\n").unwrap();
        let Some(ProviderConfig::Kubernetes(k)) =
            config.server.auth.as_ref().unwrap().provider().unwrap()
        else {
            panic!()
        };
        assert_eq!(k.api_server_url, "https://kubernetes.default.svc");
        assert_eq!(k.claims_mapping["groups"], "roles");
    }

    #[test]
    fn hostile_documents_are_refused() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in "bcdefghijk".chars() {
            bomb.push_str(&format!("{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
            prev = name;
        }
        assert!(matches!(parse(&bomb), Err(ConfigError::Yaml { .. })));
        let deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(parse(&deep), Err(ConfigError::Yaml { .. })));
        let err = parse("server: {port: 1\n").unwrap_err().to_string();
        assert!(err.contains("test.yaml"), "{err}");
    }
}
