//! A provider config, typed by its `type` and checked: URLs, timeouts,
//! header names, keys. Every error names the field.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{ConfigError, PROVIDER_TYPES, ProviderConfig, typed};

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
                check_cafile(c.tls_cafile.as_deref(), path)?;
                if c.typ.as_deref().is_some_and(|t| t.trim().is_empty()) {
                    return Err(ConfigError::field(
                        format!("{path}.typ"),
                        "is empty: name the `typ` header every JWT must carry, or remove the field",
                    ));
                }
                check_mapping(&c.claims_mapping, path)?;
                if let (Some(_), Some(_)) = (&c.jwks, &c.introspection) {
                    return Err(ConfigError::field(
                        path,
                        "configure `jwks` or `introspection`, not both",
                    ));
                }
                if let Some(jwks) = &c.jwks {
                    if let Some(uri) = &jwks.uri {
                        check_url(uri, &format!("{path}.jwks.uri"))?;
                    }
                    if jwks.key_recheck_period == 0 {
                        return Err(ConfigError::field(
                            format!("{path}.jwks.key_recheck_period"),
                            "must be at least 1 second",
                        ));
                    }
                }
                if let Some(url) = c.introspection.as_ref().and_then(|i| i.url.as_ref()) {
                    check_url(url, &format!("{path}.introspection.url"))?;
                }
                if c.discovers() {
                    // The endpoints come from `{issuer}/.well-known/openid-configuration`.
                    let issuer = c.issuer.as_ref().ok_or_else(|| {
                        ConfigError::field(
                            path,
                            "needs `jwks.uri` or `introspection.url`, or an `issuer` to discover them from",
                        )
                    })?;
                    let single = issuer.single().ok_or_else(|| {
                        ConfigError::field(
                            format!("{path}.issuer"),
                            "OIDC discovery needs exactly one issuer; with several, set `jwks.uri` or `introspection.url`",
                        )
                    })?;
                    check_url(single, &format!("{path}.issuer"))?;
                }
            }
            ProviderConfig::GithubToken(c) => {
                check_timeout(c.timeout, path)?;
                check_cafile(c.tls_cafile.as_deref(), path)?;
                check_mapping(&c.claims_mapping, path)?;
                check_url(
                    &c.github_api_base_url,
                    &format!("{path}.github_api_base_url"),
                )?;
            }
            ProviderConfig::Kubernetes(c) => {
                check_timeout(c.timeout, path)?;
                check_cafile(c.tls_cafile.as_deref(), path)?;
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
                        // A bearer token is non-empty printable ASCII without spaces: a
                        // key that could never be sent would never match.
                        (Some(k), None) if !k.bytes().all(|b| b.is_ascii_graphic()) => {
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

fn check_mapping(mapping: &BTreeMap<String, String>, path: &str) -> Result<(), ConfigError> {
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

/// An empty `tls_cafile` is a mistake, never "the system's roots".
fn check_cafile(cafile: Option<&std::path::Path>, path: &str) -> Result<(), ConfigError> {
    if cafile.is_some_and(|f| f.as_os_str().is_empty()) {
        return Err(ConfigError::field(
            format!("{path}.tls_cafile"),
            "is empty: name a PEM file of CA certificates, or remove the field",
        ));
    }
    Ok(())
}
