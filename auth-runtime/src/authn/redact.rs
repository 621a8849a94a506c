//! What never reaches a log line or an answer: the caller's token inside a
//! provider's message, and the credentials of a configured URL.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

/// What stands for a redacted part.
const REDACTED: &str = "[redacted]";

/// The shortest piece of a token redacted wherever it appears (a shorter
/// token is redacted whole).
const MIN_PIECE: usize = 8;

/// `text` (a provider's message) with every piece of `token` in it replaced
/// by `[redacted]`: the token itself, and any part of it of 8 characters or
/// more, compared without case (an endpoint may echo it upper-cased,
/// lower-cased or truncated). A token shorter than 8 characters is redacted
/// when it appears whole, without case.
///
/// A piece is found as a run of the token's 8-character windows: every
/// stretch of `text` that is a substring of the token and at least 8 long is
/// covered by such windows, and only such stretches are. A short text (the
/// usual reason, or `authenticated` in the decision log) is compared with
/// the token directly, without allocating; a long one through a set of the
/// token's windows, linear in the lengths.
pub(crate) fn token(text: String, token: &str) -> String {
    let piece = MIN_PIECE.min(token.len());
    if piece == 0 || text.len() < piece {
        return text;
    }
    let bytes = text.as_bytes();
    let folded = |b: &[u8]| -> Vec<u8> { b.iter().map(u8::to_ascii_lowercase).collect() };
    let direct = (bytes.len() - piece + 1).saturating_mul(token.len()) <= 16 * 1024;
    let set: HashSet<Vec<u8>> = if direct {
        HashSet::new()
    } else {
        token.as_bytes().windows(piece).map(&folded).collect()
    };
    let is_piece = |window: &[u8]| {
        if direct {
            token
                .as_bytes()
                .windows(piece)
                .any(|t| t.eq_ignore_ascii_case(window))
        } else {
            set.contains(&folded(window))
        }
    };
    let Some(first) = bytes.windows(piece).position(is_piece) else {
        return text;
    };
    let mut hidden = vec![false; bytes.len()];
    for (at, window) in bytes.windows(piece).enumerate().skip(first) {
        if is_piece(window) {
            for h in hidden.iter_mut().skip(at).take(piece) {
                *h = true;
            }
        }
    }
    // A token is visible ASCII (an HTTP header value), so a hidden run is
    // ASCII too and its ends are character boundaries of `text`.
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < bytes.len() {
        let hide = hidden.get(at).copied().unwrap_or(false);
        let end = hidden
            .iter()
            .skip(at)
            .position(|&h| h != hide)
            .map_or(bytes.len(), |n| at + n);
        if hide {
            out.push_str(REDACTED);
        } else {
            out.push_str(text.get(at..end).unwrap_or(REDACTED));
        }
        at = end;
    }
    out
}

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

    const TOKEN: &str = "tok-3f9a8c7e5d1b2a4f6e8d0c9b";

    fn redacted(text: &str) -> String {
        token(text.to_owned(), TOKEN)
    }

    #[test]
    fn the_token_is_redacted_whole_in_any_case() {
        assert_eq!(
            redacted(&format!("unknown token {TOKEN}")),
            "unknown token [redacted]"
        );
        assert_eq!(
            redacted(&format!("unknown token {}", TOKEN.to_uppercase())),
            "unknown token [redacted]"
        );
        assert_eq!(
            redacted(&format!("{TOKEN},{TOKEN}!")),
            "[redacted],[redacted]!"
        );
    }

    #[test]
    fn any_piece_of_eight_or_more_is_redacted() {
        // Truncated at the end, at the start, in the middle, upper-cased.
        let head = &TOKEN[..12];
        let tail = &TOKEN[TOKEN.len() - 9..];
        let middle = &TOKEN[5..13];
        for (text, expected) in [
            (format!("token {head}..."), "token [redacted]...".to_owned()),
            (format!("...{tail} bad"), "...[redacted] bad".to_owned()),
            (
                format!("[{}]", middle.to_uppercase()),
                "[[redacted]]".to_owned(),
            ),
            (
                format!("a {head} b {tail}"),
                "a [redacted] b [redacted]".to_owned(),
            ),
        ] {
            assert_eq!(redacted(&text), expected, "{text}");
        }
        // Seven characters of it are not a piece; other text stays.
        let seven = &TOKEN[..7];
        assert_eq!(redacted(&format!("x {seven} y")), format!("x {seven} y"));
        assert_eq!(redacted("Invalid token"), "Invalid token");
    }

    #[test]
    fn a_long_message_is_redacted_the_same_way() {
        // Long enough to take the set of windows rather than the direct scan.
        let filler = "é filler ".repeat(300);
        let text = format!("{filler}{}{filler}{}", &TOKEN[3..15].to_uppercase(), TOKEN);
        assert_eq!(
            redacted(&text),
            format!("{filler}[redacted]{filler}[redacted]")
        );
        let clean = "x".repeat(5000);
        assert_eq!(redacted(&clean), clean);
    }

    #[test]
    fn non_ascii_text_around_a_piece_stays_intact() {
        let text = format!("jeton inconnu «{}» — réessayez", &TOKEN[2..20]);
        assert_eq!(redacted(&text), "jeton inconnu «[redacted]» — réessayez");
    }

    #[test]
    fn a_short_token_is_redacted_whole() {
        assert_eq!(
            token("bad key Ab12 here".into(), "ab12"),
            "bad key [redacted] here"
        );
        assert_eq!(token("bad key ab1".into(), "ab12"), "bad key ab1");
        assert_eq!(token("anything".into(), ""), "anything");
    }

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
