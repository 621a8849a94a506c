//! How the config is shown in logs, errors and `Debug` output: a
//! configured URL without its credentials, a provider's config without its
//! secrets. Here, in `config`, so that showing the config needs nothing of
//! `authn` (the providers, which log URLs too, use it from here).

use std::borrow::Cow;
use std::fmt;

/// `url` without its userinfo (`http://user:pass@host/x` → `http://host/x`),
/// for every log line, error message and `Debug` output that shows a
/// configured URL. Textual, so that a URL that does not parse is stripped
/// too; anything else is left as written.
pub(crate) fn url(url: &str) -> Cow<'_, str> {
    // `scheme:` then any slashes, then the authority up to the path.
    let scheme_end = url.find(':').filter(|&i| {
        i > 0
            && url.bytes().take(i).enumerate().all(|(n, b)| {
                b.is_ascii_alphabetic() || (n > 0 && matches!(b, b'0'..=b'9' | b'+' | b'-' | b'.'))
            })
    });
    let Some(scheme_end) = scheme_end else {
        return Cow::Borrowed(url);
    };
    let rest = url.get(scheme_end + 1..).unwrap_or_default();
    let authority_start =
        scheme_end + 1 + (rest.len() - rest.trim_start_matches(['/', '\\']).len());
    let after = url.get(authority_start..).unwrap_or_default();
    let authority = after
        .find(['/', '\\', '?', '#'])
        .map_or(after, |end| after.get(..end).unwrap_or(after));
    match authority.rfind('@') {
        Some(at) => {
            let mut out = String::with_capacity(url.len());
            out.push_str(url.get(..authority_start).unwrap_or_default());
            out.push_str(after.get(at + 1..).unwrap_or_default());
            Cow::Owned(out)
        }
        None => Cow::Borrowed(url),
    }
}

/// A configured URL as [`url`] shows it, for `Debug` and `Display`.
pub(crate) struct Url<'a>(pub &'a str);

impl fmt::Debug for Url<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*url(self.0), f)
    }
}

impl fmt::Display for Url<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&url(self.0))
    }
}

/// A provider's config as written (`server.auth.provider_config`,
/// `server.auth.providers`), for `Debug`: the values of secret fields
/// (`key`, `token`, `client_secret`) hidden, every string without URL
/// credentials.
pub(crate) struct ProviderValue<'a>(pub &'a serde_json::Value);

impl fmt::Debug for ProviderValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn shown(value: &serde_json::Value) -> serde_json::Value {
            use serde_json::Value;
            match value {
                Value::String(s) => Value::String(url(s).into_owned()),
                Value::Array(items) => Value::Array(items.iter().map(shown).collect()),
                Value::Object(fields) => Value::Object(
                    fields
                        .iter()
                        .map(|(name, v)| {
                            let v = match name.as_str() {
                                "key" | "token" | "client_secret" => {
                                    Value::String("<redacted>".into())
                                }
                                _ => shown(v),
                            };
                            (name.clone(), v)
                        })
                        .collect(),
                ),
                other => other.clone(),
            }
        }
        fmt::Debug::fmt(&shown(self.0), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_stripped_from_urls() {
        for (given, shown) in [
            ("http://user:pass@host/jwks", "http://host/jwks"),
            (
                "https://user:p%40ss@idp.example:8443/a?b=c",
                "https://idp.example:8443/a?b=c",
            ),
            ("https://only-user@idp.example", "https://idp.example"),
            ("http://a:b@c@host/x@y", "http://host/x@y"),
            (
                "redis://:secret@127.0.0.1:6379/0",
                "redis://127.0.0.1:6379/0",
            ),
            ("http:user:pass@host/x", "http:host/x"),
            (
                "https://idp.example/path?u=a@b",
                "https://idp.example/path?u=a@b",
            ),
            ("https://idp.example", "https://idp.example"),
            ("not a url", "not a url"),
            ("api", "api"),
        ] {
            assert_eq!(url(given), shown, "{given}");
            assert_eq!(format!("{:?}", Url(given)), format!("{shown:?}"));
        }
    }

    /// Every configured URL in a config's `Debug` output loses its
    /// credentials; the rest of it stays.
    #[test]
    fn config_debug_output_holds_no_url_credentials() {
        let secret = "pw-9xQ2";
        for provider in [
            format!(
                "{{type: oauth2_token, issuer: 'https://u:{secret}@idp', jwks: {{uri: 'https://u:{secret}@idp/jwks'}}}}"
            ),
            format!(
                "{{type: oauth2_token, introspection: {{url: 'https://u:{secret}@idp/i', client_id: c, client_secret: s}}}}"
            ),
            format!("{{type: github_token, github_api_base_url: 'https://u:{secret}@gh/api'}}"),
            format!("{{type: kubernetes, api_server_url: 'https://u:{secret}@k8s'}}"),
            format!("{{type: custom, endpoint: 'https://u:{secret}@auth/validate'}}"),
            format!("{{type: api_keys, keys: [{{key: {secret}, principal: p}}]}}"),
        ] {
            let yaml = format!(
                "server:\n  auth:\n    provider_config: {provider}\n  \
                 quota: {{kvstore: {{type: memory, url: 'redis://:{secret}@redis:6379'}}}}\n"
            );
            let config = crate::config::Config::parse(&yaml, "test.yaml", &|_| None)
                .unwrap_or_else(|e| panic!("{yaml}: {e}"));
            let shown = format!("{config:?} {config:#?}");
            assert!(!shown.contains(secret), "{shown}");
            assert!(shown.contains("redis:6379"), "{shown}");
            let provider = config
                .server
                .auth
                .as_ref()
                .and_then(|a| a.provider_config.as_ref());
            let typed = crate::config::ProviderConfig::from_value(provider.unwrap().clone(), "p")
                .unwrap_or_else(|e| panic!("{yaml}: {e}"));
            let shown = format!("{typed:?} {typed:#?}");
            assert!(!shown.contains(secret), "{shown}");
        }
    }
}
