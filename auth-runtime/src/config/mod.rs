//! Server configuration: YAML in llama-stack's `run.yaml` shape.
//!
//! Loading goes YAML text -> generic value (parser limits apply) -> `${env.X}`
//! substitution inside `server` -> typed config (errors carry the field path).
//! Checking and compiling what webmethod acts on, with every error reported
//! together, is `settings::Settings`. Any error refuses
//! the start.
//!
//! One file per section of the YAML: `server.rs` (the document and
//! `server`), `auth.rs` (`server.auth`), `providers/` (one file per provider
//! type: its struct, defaults and checks; `list.rs` for several), `quota.rs`
//! (`server.quota`); `de.rs` holds the serde helpers they share, `env.rs` the
//! `${env.X}` substitution, `typos.rs` the near misses that would switch
//! security off, `error.rs` the errors.

mod auth;
mod de;
mod env;
mod error;
mod providers;
mod quota;
mod server;
pub(crate) mod shown;
mod tenancy;
mod typos;

pub use auth::{AuthConfig, CacheConfig, DecisionLogConfig};
pub use de::OneOrMany;
pub use error::ConfigError;
pub(crate) use error::ConfigErrors;
pub(crate) use providers::ConfiguredProvider;
pub use providers::{
    ApiKeyConfig, ApiKeysConfig, CustomConfig, GithubConfig, IntrospectionConfig, JwksConfig,
    KubernetesConfig, OAuth2Config, PROVIDER_TYPES, ProviderConfig, UpstreamHeaderConfig,
    default_github_claims, default_kubernetes_claims, default_oauth2_claims,
};
pub(crate) use providers::{Takes, providers};
pub use quota::{KvStoreConfig, QuotaConfig, QuotaPeriod};
pub use server::{Config, LimitsConfig, MetricsConfig, OpenApiConfig, ServerConfig};
pub use tenancy::{TenancyConfig, TenancyMode};

use std::path::Path;

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Default address of the server, as llama-stack's.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// Default port of the server, as llama-stack's.
pub const DEFAULT_PORT: u16 = 8321;

impl Config {
    /// Reads and validates a config file. A file that is empty or has no
    /// `server` section is refused: a truncated write, a full disk or a merge
    /// that lost the section must not start (or reload) a server without
    /// authentication; an empty config is written `server: {}`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            file: file.clone(),
            source,
        })?;
        let lookup = |name: &str| std::env::var(name).ok();
        match Config::document(&text, &file, &lookup)? {
            None => Err(ConfigError::field(
                "",
                format!(
                    "{file} is empty: a config file needs a `server` section (write `server: {{}}` for every default)"
                ),
            )),
            Some(value) if value.get("server").is_none() => Err(ConfigError::field(
                "server",
                format!(
                    "missing from {file}: webmethod reads only `server` (write `server: {{}}` for every default)"
                ),
            )),
            Some(value) => typed(value, ""),
        }
    }

    /// Parses a config document; `file` names it in errors, `lookup` reads the
    /// environment for `${env.X}`.
    pub fn parse(
        text: &str,
        file: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        match Config::document(text, file, lookup)? {
            Some(value) => typed(value, ""),
            None => Ok(Config::default()),
        }
    }

    /// The document as a generic value, substituted and checked for typos;
    /// `None` when it is empty.
    fn document(
        text: &str,
        file: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<Value>, ConfigError> {
        if text.trim().is_empty() {
            return Ok(None);
        }
        // serde-saphyr's default budget bounds depth, nodes, aliases and sizes,
        // so a hostile document (alias bombs, deep nesting) is refused.
        let mut value: Value = serde_saphyr::from_str(text).map_err(|e| ConfigError::Yaml {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        if value.is_null() {
            return Ok(None);
        }
        if !value.is_object() {
            return Err(ConfigError::field(
                "",
                "the config must be a mapping with a `server` section",
            ));
        }
        // Only `server` is webmethod's: variables used elsewhere in a
        // run.yaml (by llama-stack's other sections) need not be set here.
        if let Some(server) = value.get_mut("server") {
            env::substitute(server, "server", lookup)?;
        }
        typos::check(&value)?;
        Ok(Some(value))
    }

    /// Warnings about keys that are accepted but not acted on.
    pub fn warnings(&self) -> Vec<String> {
        let s = &self.server;
        let mut out = Vec::new();
        let ignored = [
            ("disable_ipv6", s.disable_ipv6.is_some()),
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

/// Deserializes with the path of any bad field, under `prefix`.
pub(crate) fn typed<T: DeserializeOwned>(value: Value, prefix: &str) -> Result<T, ConfigError> {
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
        let provider = config.server.auth.as_ref().unwrap().provider_config.clone();
        let Some(ProviderConfig::Custom(custom)) =
            provider.map(|v| ProviderConfig::from_value(v, "server.auth.provider_config").unwrap())
        else {
            panic!("custom provider expected")
        };
        assert_eq!(custom.endpoint, "http://127.0.0.1:9/auth");
        assert_eq!(custom.timeout, 10.0);
        let warnings = config.warnings().join("\n");
        for key in ["server.workers", "server.some_future_key"] {
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
