//! The providers a config names: `server.auth.provider_config` (one) or
//! `server.auth.providers` (several), each typed and checked, with its name
//! and cache; and the rules that let a token reach at most one of them.
//!
//! Which provider a token goes to is decided from the token alone (DESIGN.md
//! "Identity for real deployments"): local providers (`api_keys`) first; a
//! JWT to the provider whose `issuer` lists its `iss`, else to the one
//! provider that takes JWTs of any issuer; any other token to the one remote
//! provider that takes opaque tokens. The checks here make that choice
//! unambiguous at startup.

use std::collections::BTreeMap;

use serde_json::Value;

use super::ProviderConfig;
use crate::config::{CacheConfig, ConfigError, ConfigErrors, OneOrMany, typed};

/// One configured provider, checked.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub(crate) struct ConfiguredProvider {
    /// Names it in logs and in [`User::provider`](crate::User::provider):
    /// its `name`, else its `type`. With several providers it also
    /// qualifies its users' principals (`<name>:<principal>`).
    pub name: String,
    /// Its config, typed by its `type` and checked.
    pub config: ProviderConfig,
    /// Its validation cache: its own `cache`, else `server.auth.cache`.
    pub cache: CacheConfig,
    /// Where it is in the config (`server.auth.providers[1]`), for errors.
    pub path: String,
    /// The config as written (after substitution): a reload that finds it
    /// unchanged keeps the provider built from it.
    pub(crate) source: Value,
}

/// The tokens a provider may be sent when several are configured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Takes<'c> {
    /// Checked in-process, before any remote provider (`api_keys`).
    pub local: bool,
    /// JWTs whose `iss` is one of these.
    pub issuers: Option<&'c OneOrMany>,
    /// JWTs of an issuer no provider lists.
    pub any_jwt: bool,
    /// Tokens that are not JWTs.
    pub opaque: bool,
}

/// The providers `server.auth` names (`provider_config` or `providers`),
/// each checked; the errors of all of them.
pub(crate) fn providers(
    provider_config: Option<&Value>,
    list: Option<&Value>,
    cache: &CacheConfig,
) -> Result<Vec<ConfiguredProvider>, ConfigErrors> {
    match (provider_config, list) {
        (Some(_), Some(_)) => Err(ConfigError::field(
            "server.auth.providers",
            "set `provider_config` (one provider) or `providers` (several), not both",
        )
        .into()),
        (None, None) => Ok(Vec::new()),
        (Some(value), None) => {
            let path = "server.auth.provider_config";
            let config = ProviderConfig::from_value(value.clone(), path)?;
            Ok(vec![ConfiguredProvider {
                name: config.kind().to_owned(),
                config,
                cache: cache.clone(),
                path: path.to_owned(),
                source: value.clone(),
            }])
        }
        (None, Some(list)) => several(list, cache),
    }
}

fn several(list: &Value, cache: &CacheConfig) -> Result<Vec<ConfiguredProvider>, ConfigErrors> {
    let at = "server.auth.providers";
    let Some(items) = list.as_array().filter(|items| !items.is_empty()) else {
        return Err(ConfigError::field(
            at,
            "must be a non-empty list of provider configs; to serve without authentication, remove `providers`",
        )
        .into());
    };
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("{at}[{i}]");
        match entry(item.clone(), &path, cache) {
            Ok(provider) => out.push(provider),
            Err(e) => errors.push(e),
        }
    }
    ConfigErrors::check(errors)?;
    ConfigErrors::check(conflicts(&out))?;
    Ok(out)
}

/// One entry: a provider config, plus webmethod's `name` and `cache`.
fn entry(
    mut value: Value,
    path: &str,
    cache: &CacheConfig,
) -> Result<ConfiguredProvider, ConfigError> {
    let source = value.clone();
    let empty = match &value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    };
    if empty {
        return Err(ConfigError::field(
            path,
            "is empty (after ${env.X} substitution, if any): a provider config needs at least its `type`",
        ));
    }
    let Some(map) = value.as_object_mut() else {
        return Err(ConfigError::field(path, "expected a mapping with a `type`"));
    };
    let name = match map.remove("name") {
        None => None,
        Some(Value::String(name)) if valid_name(&name) => Some(name),
        Some(_) => {
            return Err(ConfigError::field(
                format!("{path}.name"),
                "must be 1 to 64 letters, digits, `-`, `_` or `.`",
            ));
        }
    };
    let cache = match map.remove("cache") {
        None => cache.clone(),
        Some(own) => typed::<CacheConfig>(own, &format!("{path}.cache"))?,
    };
    let config = ProviderConfig::from_value(value, path)?;
    Ok(ConfiguredProvider {
        name: name.unwrap_or_else(|| config.kind().to_owned()),
        config,
        cache,
        path: path.to_owned(),
        source,
    })
}

/// An API key's SHA-256, from the key or its `key_sha256`; `None` when
/// neither gives one.
fn key_digest(clear: Option<&str>, hex_digest: Option<&str>) -> Option<[u8; 32]> {
    match (clear, hex_digest) {
        (Some(clear), _) => Some(crate::digest::sha256(clear.as_bytes())),
        (None, Some(hex_digest)) => {
            let mut out = [0u8; 32];
            hex::decode_to_slice(hex_digest, &mut out).ok()?;
            Some(out)
        }
        (None, None) => None,
    }
}

/// A name fit for a log field or a metric label.
fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// What would make the choice of provider ambiguous, or send a token where
/// it does not belong.
fn conflicts(providers: &[ConfiguredProvider]) -> Vec<ConfigError> {
    let mut errors = Vec::new();
    let mut names: BTreeMap<&str, &str> = BTreeMap::new();
    let mut issuers: BTreeMap<&str, &str> = BTreeMap::new();
    let mut any_jwt: Option<&str> = None;
    let mut opaque: Option<&str> = None;
    // Every API key by its SHA-256 (given in clear or as `key_sha256`): a
    // key two providers hold would be the first one's user, silently.
    let mut keys: BTreeMap<[u8; 32], (usize, String)> = BTreeMap::new();
    for (at, p) in providers.iter().enumerate() {
        if let ProviderConfig::ApiKeys(c) = &p.config {
            for (i, key) in c.keys.iter().enumerate() {
                // A malformed key is the provider's own error, reported when
                // it is built.
                let Some(digest) = key_digest(key.key.as_deref(), key.key_sha256.as_deref()) else {
                    continue;
                };
                let path = format!("{}.keys[{i}]", p.path);
                match keys.get(&digest) {
                    Some((first_at, first)) if *first_at != at => {
                        errors.push(ConfigError::field(
                            &path,
                            format!(
                                "the same key as {first}: a key belongs to one provider (compared by its SHA-256, whether given as `key` or `key_sha256`)"
                            ),
                        ));
                    }
                    // The same provider twice: its own check says so.
                    Some(_) => {}
                    None => {
                        keys.insert(digest, (at, path));
                    }
                }
            }
        }
    }
    for p in providers {
        if let Some(first) = names.insert(&p.name, &p.path) {
            errors.push(ConfigError::field(
                format!("{}.name", p.path),
                format!(
                    "`{}` also names {first}; give each provider its own `name`",
                    p.name
                ),
            ));
        }
        if matches!(p.config, ProviderConfig::UpstreamHeader(_)) {
            errors.push(ConfigError::field(
                &p.path,
                "`upstream_header` trusts a gateway's headers rather than a token, so it must be the only provider (use `provider_config`)",
            ));
        }
        let takes = p.config.takes();
        for issuer in takes.issuers.into_iter().flat_map(OneOrMany::iter) {
            if let Some(first) = issuers.insert(issuer, &p.path) {
                errors.push(ConfigError::field(
                    format!("{}.issuer", p.path),
                    format!(
                        "`{}` is also the issuer of {first}: a JWT must have one provider",
                        crate::config::shown::Url(issuer)
                    ),
                ));
            }
        }
        for (taken, slot, what) in [
            (
                takes.any_jwt,
                &mut any_jwt,
                "JWTs of any issuer (an `oauth2_token` without `issuer`, `kubernetes` or `custom`)",
            ),
            (
                takes.opaque,
                &mut opaque,
                "opaque tokens (`oauth2_token` with introspection, `github_token` or `custom`)",
            ),
        ] {
            if !taken {
                continue;
            }
            match slot {
                Some(first) => errors.push(ConfigError::field(
                    &p.path,
                    format!("{first} already takes {what}; only one provider may, so that a token goes to one provider"),
                )),
                None => *slot = Some(&p.path),
            }
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn load(yaml: &str) -> Result<Vec<ConfiguredProvider>, ConfigErrors> {
        let config = Config::parse(yaml, "test", &|_| None)?;
        let auth = config.server.auth.unwrap_or_default();
        providers(
            auth.provider_config.as_ref(),
            auth.providers.as_ref(),
            &auth.cache,
        )
    }

    fn paths(yaml: &str) -> Vec<String> {
        load(yaml)
            .expect_err(yaml)
            .iter()
            .map(|e| {
                let text = e.to_string();
                let message = text.split_once("`: ").map_or(text.as_str(), |(_, m)| m);
                format!("{}: {message}", e.path().unwrap_or(""))
            })
            .collect()
    }

    const JWKS: &str = "jwks: {uri: 'http://127.0.0.1:9/jwks'}";

    #[test]
    fn several_providers_with_names_and_caches() {
        let providers = load(&format!(
            "server:\n  auth:\n    cache: {{ttl: 60}}\n    providers:\n      - {{type: api_keys, keys: [{{key: k, principal: p}}]}}\n      - {{type: oauth2_token, name: people, issuer: 'https://a', {JWKS}, cache: {{ttl: 10}}}}\n      - {{type: oauth2_token, issuer: ['https://b', 'https://c'], {JWKS}}}\n"
        ))
        .unwrap();
        let summary: Vec<_> = providers
            .iter()
            .map(|p| (p.name.as_str(), p.path.as_str(), p.cache.ttl))
            .collect();
        assert_eq!(
            summary,
            [
                ("api_keys", "server.auth.providers[0]", 60),
                ("people", "server.auth.providers[1]", 10),
                ("oauth2_token", "server.auth.providers[2]", 60),
            ]
        );
    }

    #[test]
    fn one_provider_keeps_its_path_and_the_shared_cache() {
        let providers = load(
            "server:\n  auth:\n    cache: {ttl: 7}\n    provider_config: {type: github_token}\n",
        )
        .unwrap();
        assert_eq!(providers.len(), 1);
        assert_eq!(
            (
                providers[0].name.as_str(),
                providers[0].path.as_str(),
                providers[0].cache.ttl
            ),
            ("github_token", "server.auth.provider_config", 7)
        );
    }

    #[test]
    fn ambiguous_or_unsafe_sets_are_refused_naming_the_field() {
        let cases = [
            (
                "provider_config: {type: github_token}\n    providers: [{type: github_token}]".to_owned(),
                "server.auth.providers: set `provider_config`",
            ),
            ("providers: []".to_owned(), "server.auth.providers: must be a non-empty"),
            ("providers: [{}]".to_owned(), "server.auth.providers[0]: is empty"),
            ("providers: [null]".to_owned(), "server.auth.providers[0]: is empty"),
            (
                "providers: [{type: github_token, name: 'a b'}]".to_owned(),
                "server.auth.providers[0].name:",
            ),
            (
                "providers: [{type: github_token, cache: {ttl: x}}]".to_owned(),
                "server.auth.providers[0].cache.ttl:",
            ),
            (
                "providers: [{type: api_keys, keys: []}, {type: api_keys, keys: []}]".to_owned(),
                "server.auth.providers[1].name: `api_keys` also names server.auth.providers[0]",
            ),
            (
                format!("providers: [{{type: oauth2_token, issuer: 'https://a', {JWKS}}}, {{type: oauth2_token, name: b, issuer: ['https://b', 'https://a'], {JWKS}}}]"),
                "server.auth.providers[1].issuer: `https://a` is also the issuer of server.auth.providers[0]",
            ),
            (
                format!("providers: [{{type: oauth2_token, {JWKS}}}, {{type: kubernetes}}]"),
                "server.auth.providers[1]: server.auth.providers[0] already takes JWTs of any issuer",
            ),
            (
                "providers: [{type: github_token}, {type: custom, endpoint: 'http://127.0.0.1:9/'}]".to_owned(),
                "server.auth.providers[1]: server.auth.providers[0] already takes opaque tokens",
            ),
            (
                format!("providers: [{{type: api_keys, keys: [{{key: k1, principal: a}}, {{key: shared, principal: b}}]}}, {{type: api_keys, name: more, keys: [{{key_sha256: '{}', principal: c}}]}}]", hex::encode(crate::digest::sha256(b"shared"))),
                "server.auth.providers[1].keys[0]: the same key as server.auth.providers[0].keys[1]",
            ),
            (
                "providers: [{type: api_keys, keys: [{key: same, principal: a}]}, {type: api_keys, name: more, keys: [{key: same, principal: b}]}]".to_owned(),
                "server.auth.providers[1].keys[0]: the same key as server.auth.providers[0].keys[0]",
            ),
            (
                "providers: [{type: api_keys, keys: []}, {type: upstream_header, principal_header: x-user}]".to_owned(),
                "server.auth.providers[1]: `upstream_header` trusts a gateway's headers",
            ),
        ];
        for (auth, expected) in cases {
            let yaml = format!("server:\n  auth:\n    {auth}\n");
            let errors = paths(&yaml);
            assert!(
                errors.iter().any(|e| e.starts_with(expected)),
                "{yaml}\nexpected {expected:?}\ngot {errors:#?}"
            );
        }
    }

    #[test]
    fn what_each_provider_takes() {
        let takes = |yaml: &str| {
            let p = load(&format!("server:\n  auth:\n    provider_config: {yaml}\n")).unwrap();
            let t = p[0].config.takes();
            (t.local, t.issuers.map(|i| i.0.clone()), t.any_jwt, t.opaque)
        };
        assert_eq!(
            takes("{type: api_keys, keys: []}"),
            (true, None, false, false)
        );
        assert_eq!(
            takes(&format!(
                "{{type: oauth2_token, issuer: 'https://a', {JWKS}}}"
            )),
            (false, Some(vec!["https://a".to_owned()]), false, false)
        );
        assert_eq!(
            takes(
                "{type: oauth2_token, introspection: {url: 'http://127.0.0.1:9/i', client_id: c, client_secret: s}}"
            ),
            (false, None, true, true)
        );
        assert_eq!(takes("{type: kubernetes}"), (false, None, true, false));
        assert_eq!(takes("{type: github_token}"), (false, None, false, true));
    }
}
