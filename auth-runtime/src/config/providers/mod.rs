//! `server.auth.provider_config` (one provider) and `server.auth.providers`
//! (several): each provider type in a file of its own, with its struct, its
//! defaults and its checks; here the enum of them, parsing one by its
//! `type`, and the checks they share. Every error names the whole field
//! path (`server.auth.providers[1].jwks.uri`).

mod api_keys;
mod custom;
mod github;
mod kubernetes;
mod list;
mod oauth2;
mod upstream_header;

pub use api_keys::{ApiKeyConfig, ApiKeysConfig};
pub use custom::CustomConfig;
pub use github::{GithubConfig, default_github_claims};
pub use kubernetes::{KubernetesConfig, default_kubernetes_claims};
pub(crate) use list::ConfiguredProvider;
pub(crate) use list::{Takes, providers};
pub use oauth2::{IntrospectionConfig, JwksConfig, OAuth2Config, default_oauth2_claims};
pub use upstream_header::UpstreamHeaderConfig;

use std::collections::BTreeMap;

use serde_json::Value;

use super::{ConfigError, typed};

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

/// The provider types llama-stack knows, and the ones served here.
pub const PROVIDER_TYPES: &[&str] = &[
    "custom",
    "upstream_header",
    "api_keys",
    "oauth2_token",
    "github_token",
    "kubernetes",
];

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

    /// Checks the values serde cannot: each type's own checks.
    fn check(&self, path: &str) -> Result<(), ConfigError> {
        match self {
            ProviderConfig::OAuth2Token(c) => c.check(path),
            ProviderConfig::GithubToken(c) => c.check(path),
            ProviderConfig::Kubernetes(c) => c.check(path),
            ProviderConfig::Custom(c) => c.check(path),
            ProviderConfig::UpstreamHeader(c) => c.check(path),
            ProviderConfig::ApiKeys(c) => c.check(path),
        }
    }

    /// The `type` it was configured with.
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderConfig::Custom(_) => "custom",
            ProviderConfig::UpstreamHeader(_) => "upstream_header",
            ProviderConfig::ApiKeys(_) => "api_keys",
            ProviderConfig::OAuth2Token(_) => "oauth2_token",
            ProviderConfig::GithubToken(_) => "github_token",
            ProviderConfig::Kubernetes(_) => "kubernetes",
        }
    }

    /// Where the provider reads its users' tenant, as configured
    /// (`oauth2_token.tenant_claim`, `custom.tenant_field`,
    /// `kubernetes.tenant_claim`, `upstream_header.tenant_header`); `None`:
    /// its users have no tenant.
    // Read by `server.tenancy` (`multi` warns of a provider without one).
    pub(crate) fn tenant_source(&self) -> Option<&str> {
        match self {
            ProviderConfig::OAuth2Token(c) => c.tenant_claim.as_deref(),
            ProviderConfig::Custom(c) => c.tenant_field.as_deref(),
            ProviderConfig::Kubernetes(c) => c.tenant_claim.as_deref(),
            ProviderConfig::UpstreamHeader(c) => c.tenant_header.as_deref(),
            ProviderConfig::ApiKeys(c) => c
                .keys
                .iter()
                .any(|k| k.tenant.is_some())
                .then_some("keys[].tenant"),
            ProviderConfig::GithubToken(_) => None,
        }
    }

    /// The tokens it may be sent among several providers.
    pub(crate) fn takes(&self) -> Takes<'_> {
        match self {
            ProviderConfig::ApiKeys(_) => Takes {
                local: true,
                ..Takes::default()
            },
            // A JWKS verifies JWTs only; introspection takes any token.
            ProviderConfig::OAuth2Token(c) => Takes {
                local: false,
                issuers: c.issuer.as_ref(),
                any_jwt: c.issuer.is_none(),
                opaque: c.introspection.is_some(),
            },
            // Service account tokens are JWTs; their issuer is the cluster's.
            ProviderConfig::Kubernetes(_) => Takes {
                any_jwt: true,
                ..Takes::default()
            },
            ProviderConfig::GithubToken(_) => Takes {
                opaque: true,
                ..Takes::default()
            },
            // Your endpoint: whatever it issues.
            ProviderConfig::Custom(_) => Takes {
                any_jwt: true,
                opaque: true,
                ..Takes::default()
            },
            // Reads a gateway's headers, never a token: only ever alone.
            ProviderConfig::UpstreamHeader(_) => Takes::default(),
        }
    }
}

/// `timeout` of a provider that calls out, by default.
fn default_timeout() -> f64 {
    10.0
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

/// A tenant source (`tenant_claim`, `tenant_field`, `tenant_header`) that is
/// set must name something: an empty one is a mistake, never "no tenant".
fn check_tenant_source(source: Option<&str>, field: &str) -> Result<(), ConfigError> {
    if source.is_some_and(|s| s.trim().is_empty()) {
        return Err(ConfigError::field(
            field,
            "is empty: name where the tenant is read from, or remove the field",
        ));
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn provider(yaml: &str) -> ProviderConfig {
        let value = serde_saphyr::from_str(yaml).expect("yaml");
        ProviderConfig::from_value(value, "p").unwrap_or_else(|e| panic!("{e}"))
    }

    /// The configured source of each type that has one; none otherwise.
    #[test]
    fn tenant_source_is_what_was_configured() {
        let cases = [
            (
                "{type: oauth2_token, jwks: {uri: 'https://i.test/jwks'}, tenant_claim: 'org.kubernetes\\.io/tenant'}",
                Some(r"org.kubernetes\.io/tenant"),
            ),
            (
                "{type: oauth2_token, jwks: {uri: 'https://i.test/jwks'}}",
                None,
            ),
            (
                "{type: custom, endpoint: 'http://a.test/v', tenant_field: org.id}",
                Some("org.id"),
            ),
            ("{type: custom, endpoint: 'http://a.test/v'}", None),
            (
                "{type: kubernetes, tenant_claim: extra.tenant}",
                Some("extra.tenant"),
            ),
            ("{type: kubernetes}", None),
            (
                "{type: upstream_header, principal_header: x-user, tenant_header: x-tenant}",
                Some("x-tenant"),
            ),
            ("{type: upstream_header, principal_header: x-user}", None),
            ("{type: github_token}", None),
            ("{type: api_keys, keys: [{key: k, principal: p}]}", None),
            (
                "{type: api_keys, keys: [{key: k, principal: p}, {key: l, principal: q, tenant: acme}]}",
                Some("keys[].tenant"),
            ),
        ];
        for (yaml, source) in cases {
            assert_eq!(provider(yaml).tenant_source(), source, "{yaml}");
        }
    }
}
