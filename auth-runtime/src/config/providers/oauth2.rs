//! `type: oauth2_token`: JWTs checked against a JWKS (given, or named by the
//! issuer's discovery document), or RFC 7662 introspection.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;

use super::{
    check_cafile, check_mapping, check_tenant_source, check_timeout, check_url, default_timeout,
};
use crate::config::ConfigError;
use crate::config::de::{OneOrMany, lenient, pairs, yes};
use crate::config::shown::Url;

/// `type: oauth2_token`: JWTs checked against a JWKS, or RFC 7662 introspection.
///
/// Its fields are keys of `server.auth.provider_config` (or of an entry of
/// `server.auth.providers`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
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
    /// A dotted claim walks nested objects (`realm_access.roles`; `\.` is a
    /// dot inside a segment: `kubernetes\.io.namespace`). Default:
    /// llama-stack's ([`default_oauth2_claims`]).
    #[serde(default = "default_oauth2_claims")]
    pub claims_mapping: BTreeMap<String, String>,
    /// `server.auth.provider_config.tenant_claim`: the claim path (of the
    /// JWT's payload, or of the introspection answer) holding the user's
    /// tenant, dotted as `claims_mapping` claims are (`\.` is a dot inside
    /// a segment). A string; absent or blank is no tenant, any other value
    /// a 401. Default: none (users have no tenant).
    pub tenant_claim: Option<String>,
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

/// `server.auth.provider_config.jwks` of `type: oauth2_token`: where the
/// keys that verify JWTs come from.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
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
#[non_exhaustive]
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

impl OAuth2Config {
    /// The endpoints `http(s)` URLs (or one issuer to discover them from),
    /// `jwks` or `introspection` but not both, the TLS and timeout settings
    /// usable; `path` locates the provider config.
    pub(super) fn check(&self, path: &str) -> Result<(), ConfigError> {
        check_timeout(self.timeout, path)?;
        check_cafile(self.tls_cafile.as_deref(), path)?;
        if self.typ.as_deref().is_some_and(|t| t.trim().is_empty()) {
            return Err(ConfigError::field(
                format!("{path}.typ"),
                "is empty: name the `typ` header every JWT must carry, or remove the field",
            ));
        }
        check_mapping(&self.claims_mapping, path)?;
        check_tenant_source(
            self.tenant_claim.as_deref(),
            &format!("{path}.tenant_claim"),
        )?;
        if let (Some(_), Some(_)) = (&self.jwks, &self.introspection) {
            return Err(ConfigError::field(
                path,
                "configure `jwks` or `introspection`, not both",
            ));
        }
        if let Some(jwks) = &self.jwks {
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
        if let Some(url) = self.introspection.as_ref().and_then(|i| i.url.as_ref()) {
            check_url(url, &format!("{path}.introspection.url"))?;
        }
        if self.discovers() {
            // The endpoints come from `{issuer}/.well-known/openid-configuration`.
            let issuer = self.issuer.as_ref().ok_or_else(|| {
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
        Ok(())
    }
}
