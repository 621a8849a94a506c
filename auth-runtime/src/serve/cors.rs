//! `server.cors`, llama-stack's: `true` (its development default: any
//! `http(s)://localhost:<port>` origin) or its `CORSConfig` object, applied
//! with tower-http's `CorsLayer` outside the security pipeline: a preflight
//! is answered without credentials and never reaches a handler; an actual
//! request is authenticated as always, and its 401 or 403 carries the CORS
//! headers so the page can read it. Without `cors`, no CORS header at all.

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method};
use serde::Deserialize;
use serde_json::Value;
use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer, ExposeHeaders};

use crate::config::ConfigError;

const FIELD: &str = "server.cors";

/// Origins no deployment can own: `null` (sandboxed frames, `file:` pages)
/// and hosts under `.invalid` (RFC 6761: never registered, never resolves),
/// with the schemes, ports and depths a page can have. An
/// `allow_origin_regex` that accepts one of them accepts hosts that are not
/// yours (it has a `.*`, `.+`, `[^/]+` ... where the host is), so it accepts
/// an attacker's page too: with `allow_credentials: true` that is `*` with
/// credentials, refused the same way.
const FOREIGN_ORIGINS: [&str; 6] = [
    "null",
    "https://webmethod-probe.invalid",
    "http://webmethod-probe.invalid",
    "https://webmethod-probe.invalid:8443",
    "http://a.b.webmethod-probe.invalid:1",
    "https://x.invalid",
];

/// llama-stack's `CORSConfig`, with its defaults.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CorsConfig {
    #[serde(default)]
    allow_origins: Vec<String>,
    #[serde(default)]
    allow_origin_regex: Option<String>,
    #[serde(default = "options_only")]
    allow_methods: Vec<String>,
    #[serde(default)]
    allow_headers: Vec<String>,
    #[serde(default)]
    allow_credentials: bool,
    #[serde(default)]
    expose_headers: Vec<String>,
    #[serde(default = "ten_minutes")]
    max_age: u64,
}

fn options_only() -> Vec<String> {
    vec!["OPTIONS".into()]
}

fn ten_minutes() -> u64 {
    600
}

impl CorsConfig {
    /// `cors: true`: llama-stack's development default.
    fn development() -> CorsConfig {
        CorsConfig {
            allow_origins: Vec::new(),
            allow_origin_regex: Some(r"https?://localhost:\d+".into()),
            allow_methods: ["GET", "POST", "PUT", "DELETE", "OPTIONS"]
                .map(String::from)
                .to_vec(),
            allow_headers: ["Content-Type", "Authorization", "X-Requested-With"]
                .map(String::from)
                .to_vec(),
            allow_credentials: false,
            expose_headers: Vec::new(),
            max_age: 600,
        }
    }
}

/// The layer `server.cors` asks for; `None` without it (or with `false`).
pub(crate) fn layer(cors: Option<&Value>) -> Result<Option<CorsLayer>, ConfigError> {
    let config = match cors {
        None | Some(Value::Null) | Some(Value::Bool(false)) => return Ok(None),
        Some(Value::Bool(true)) => CorsConfig::development(),
        Some(value) => crate::config::typed::<CorsConfig>(value.clone(), FIELD)?,
    };
    build(&config).map(Some)
}

fn build(config: &CorsConfig) -> Result<CorsLayer, ConfigError> {
    let wildcard = |list: &[String]| list.iter().any(|v| v == "*");
    let credentials = config.allow_credentials;
    if credentials && wildcard(&config.allow_origins) {
        return Err(ConfigError::field(
            format!("{FIELD}.allow_origins"),
            "`*` cannot be combined with allow_credentials: true (browsers refuse it); list the origins",
        ));
    }
    if credentials && wildcard(&config.expose_headers) {
        return Err(ConfigError::field(
            format!("{FIELD}.expose_headers"),
            "`*` cannot be combined with allow_credentials: true; list the headers",
        ));
    }
    let origins = config
        .allow_origins
        .iter()
        .filter(|o| *o != "*")
        .enumerate()
        .map(|(i, o)| {
            HeaderValue::from_str(o).map_err(|_| {
                ConfigError::field(format!("{FIELD}.allow_origins[{i}]"), "not a valid origin")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let regex = match &config.allow_origin_regex {
        None => None,
        // Anchored: Starlette matches the whole origin.
        Some(pattern) => Some(regex::Regex::new(&format!("^(?:{pattern})$")).map_err(|e| {
            ConfigError::field(format!("{FIELD}.allow_origin_regex"), e.to_string())
        })?),
    };
    if credentials
        && let Some(regex) = &regex
        && let Some(probe) = FOREIGN_ORIGINS.iter().find(|o| regex.is_match(o))
    {
        return Err(ConfigError::field(
            format!("{FIELD}.allow_origin_regex"),
            format!(
                "matches origins that are not yours (it matches `{probe}`), which with \
                 allow_credentials: true lets any site read answers with the user's cookies \
                 (browsers refuse `*` with credentials for this reason); name your hosts, \
                 e.g. `https://([a-z0-9-]+\\.)?example\\.com`"
            ),
        ));
    }
    let allow_origin = if wildcard(&config.allow_origins) {
        AllowOrigin::any()
    } else {
        match regex {
            None => AllowOrigin::list(origins),
            Some(regex) => AllowOrigin::predicate(move |origin, _| {
                origins.contains(origin) || origin.to_str().is_ok_and(|o| regex.is_match(o))
            }),
        }
    };
    let allow_methods = if wildcard(&config.allow_methods) {
        if credentials {
            AllowMethods::mirror_request()
        } else {
            AllowMethods::any()
        }
    } else {
        AllowMethods::list(
            config
                .allow_methods
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    Method::from_bytes(m.to_ascii_uppercase().as_bytes()).map_err(|_| {
                        ConfigError::field(
                            format!("{FIELD}.allow_methods[{i}]"),
                            "not an HTTP method",
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        )
    };
    let header_names = |list: &[String], key: &str| {
        list.iter()
            .enumerate()
            .map(|(i, h)| {
                HeaderName::from_bytes(h.as_bytes()).map_err(|_| {
                    ConfigError::field(format!("{FIELD}.{key}[{i}]"), "not a header name")
                })
            })
            .collect::<Result<Vec<_>, _>>()
    };
    let allow_headers = if wildcard(&config.allow_headers) {
        if credentials {
            AllowHeaders::mirror_request()
        } else {
            AllowHeaders::any()
        }
    } else {
        AllowHeaders::list(header_names(&config.allow_headers, "allow_headers")?)
    };
    let expose_headers = if wildcard(&config.expose_headers) {
        ExposeHeaders::any()
    } else {
        ExposeHeaders::list(header_names(&config.expose_headers, "expose_headers")?)
    };
    Ok(CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods(allow_methods)
        .allow_headers(allow_headers)
        .expose_headers(expose_headers)
        .allow_credentials(credentials)
        .max_age(Duration::from_secs(config.max_age)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_credentials(regex: &str) -> Result<Option<CorsLayer>, ConfigError> {
        layer(Some(&serde_json::json!({
            "allow_origin_regex": regex,
            "allow_credentials": true,
        })))
    }

    #[test]
    fn a_regex_matching_foreign_origins_with_credentials_is_refused() {
        for regex in [
            ".*",
            ".+",
            "https?://.*",
            "https://.+",
            "(.*)",
            "https://[^/]+",
            r"https?://[\w.-]+(:\d+)?",
            "null|https://app\\.example\\.com",
        ] {
            let error = with_credentials(regex)
                .err()
                .unwrap_or_else(|| panic!("{regex} was accepted"))
                .to_string();
            assert!(
                error.contains("server.cors.allow_origin_regex") && error.contains("not yours"),
                "{regex}: {error}"
            );
        }
    }

    #[test]
    fn a_regex_naming_hosts_is_kept_with_credentials_and_any_regex_without() {
        for regex in [
            r"https://([a-z0-9-]+\.)?example\.com",
            r"https?://localhost:\d+",
            r"https://app\.example\.com(:\d+)?",
            r"https://.*\.example\.com",
        ] {
            assert!(with_credentials(regex).is_ok(), "{regex} was refused");
        }
        let without = layer(Some(&serde_json::json!({"allow_origin_regex": ".*"})));
        assert!(without.is_ok());
    }
}
