//! Config mistakes that would switch security off without a word: a
//! `Server:` section, a `server.Auth` or `server.authentication` key, a
//! provider config that is empty after `${env.X}` substitution. Each stops
//! the start, naming the field and the key that was probably meant. Other
//! unknown sections stay allowed (a real `run.yaml` has many), and unknown
//! keys of `server` that resemble no known key stay warnings.

use serde_json::Value;

use super::error::ConfigError;

/// The keys of `server` (llama-stack's and webmethod's own) a near miss of
/// which stops the start. Not `metrics` or `openapi`: a misspelled one
/// switches nothing off (and run.yaml files already hold keys that begin
/// with `metrics`).
pub(crate) const SERVER_KEYS: &[&str] = &[
    "port",
    "host",
    "tls_certfile",
    "tls_keyfile",
    "tls_cafile",
    "auth",
    "quota",
    "cors",
    "limits",
    "workers",
    "disable_ipv6",
    "registry_refresh_interval_seconds",
];

/// The keys of `server.auth`.
pub(crate) const AUTH_KEYS: &[&str] = &[
    "provider_config",
    "providers",
    "route_policy",
    "access_policy",
    "decision_log",
    "cache",
];

/// Checks a parsed document (after substitution) for those mistakes.
pub(super) fn check(document: &Value) -> Result<(), ConfigError> {
    let Some(top) = document.as_object() else {
        return Ok(());
    };
    for key in top.keys() {
        if key != "server" && key.eq_ignore_ascii_case("server") {
            return Err(ConfigError::field(
                key.as_str(),
                "keys are case-sensitive: did you mean `server`? (as written, the section would be ignored and every route served without authentication)",
            ));
        }
    }
    let Some(server) = top.get("server").and_then(Value::as_object) else {
        return Ok(());
    };
    near_misses(server, SERVER_KEYS, "server")?;
    let Some(auth) = server.get("auth").and_then(Value::as_object) else {
        return Ok(());
    };
    near_misses(auth, AUTH_KEYS, "server.auth")?;
    if let Some(provider) = auth.get("provider_config")
        && is_empty(provider)
    {
        return Err(ConfigError::field(
            "server.auth.provider_config",
            "is empty (after ${env.X} substitution, if any): a provider config needs at least its `type`; to serve without authentication, remove `provider_config`",
        ));
    }
    Ok(())
}

/// An unknown key of `map` that looks like a known one is an error.
fn near_misses(
    map: &serde_json::Map<String, Value>,
    known: &[&str],
    at: &str,
) -> Result<(), ConfigError> {
    for key in map.keys() {
        if known.contains(&key.as_str()) {
            continue;
        }
        if let Some(meant) = nearest(key, known) {
            return Err(ConfigError::field(
                format!("{at}.{key}"),
                format!("unknown key; did you mean `{meant}`?"),
            ));
        }
    }
    Ok(())
}

/// The known key `key` is probably a misspelling of: equal ignoring case
/// and `-`/`_`, within two edits, or `key` begins with it (`authentication`,
/// `quota_config`).
pub(crate) fn nearest<'k>(key: &str, known: &[&'k str]) -> Option<&'k str> {
    let squash = |s: &str| {
        s.chars()
            .filter(|c| *c != '-' && *c != '_')
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let lower = key.to_lowercase();
    let squashed = squash(key);
    known
        .iter()
        .filter(|k| {
            squashed == squash(k) || strsim::levenshtein(&lower, k) <= 2 || lower.starts_with(**k)
        })
        .min_by_key(|k| strsim::levenshtein(&lower, k))
        .copied()
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Object(map) => map.is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_name_the_key_meant() {
        for (key, meant) in [
            ("Auth", "auth"),
            ("AUTH", "auth"),
            ("authentication", "auth"),
            ("quota_config", "quota"),
            ("quotas", "quota"),
            ("tls-certfile", "tls_certfile"),
            ("tls_cert_file", "tls_certfile"),
            ("TlsCaFile", "tls_cafile"),
            ("prot", "port"),
        ] {
            assert_eq!(nearest(key, SERVER_KEYS), Some(meant), "{key}");
        }
        for (key, meant) in [
            ("providers_config", "provider_config"),
            ("Provider-Config", "provider_config"),
            ("route-policy", "route_policy"),
            ("Cache", "cache"),
        ] {
            assert_eq!(nearest(key, AUTH_KEYS), Some(meant), "{key}");
        }
        for key in ["metrics_exporter", "image_name", "telemetry", "logging"] {
            assert_eq!(nearest(key, SERVER_KEYS), None, "{key}");
        }
    }

    fn error(yaml: &str) -> String {
        let value: Value = serde_saphyr::from_str(yaml).unwrap_or(Value::Null);
        match check(&value) {
            Ok(()) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn security_typos_stop_the_start() {
        assert!(error("Server:\n  auth: {}\n").contains("`Server`"));
        assert!(error("SERVER: {}\n").contains("did you mean `server`"));
        let e = error("server:\n  Auth:\n    provider_config: {type: api_keys}\n");
        assert!(e.contains("server.Auth") && e.contains("`auth`"), "{e}");
        let e = error("server:\n  authentication: {}\n");
        assert!(
            e.contains("server.authentication") && e.contains("`auth`"),
            "{e}"
        );
        let e = error("server:\n  auth:\n    provider_config:\n");
        assert!(e.contains("server.auth.provider_config"), "{e}");
        let e = error("server:\n  auth:\n    provider_config: {}\n");
        assert!(e.contains("server.auth.provider_config"), "{e}");
        let e = error("server:\n  auth:\n    providr_config: {type: custom}\n");
        assert!(
            e.contains("server.auth.providr_config") && e.contains("`provider_config`"),
            "{e}"
        );
        // What a real run.yaml has stays fine.
        assert_eq!(
            error(
                "version: 2\nimage_name: x\nproviders: {}\nserver:\n  port: 8321\n  auth:\n    provider_config: {type: custom}\n"
            ),
            "ok"
        );
        assert_eq!(error("server:\n  some_future_key: 1\n"), "ok");
    }
}
