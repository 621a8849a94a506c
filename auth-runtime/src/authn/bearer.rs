//! `Authorization: Bearer <token>` (RFC 6750): parsing, and the
//! `WWW-Authenticate` challenge of a 401.

use axum::http::header::AUTHORIZATION;
use axum::http::{HeaderMap, HeaderValue};

/// What the `Authorization` header holds.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Credentials<'a> {
    Missing,
    Bearer(&'a str),
    /// Another scheme, two headers, an empty token or one with characters a
    /// token cannot have.
    Malformed,
}

/// Reads the bearer token: exactly one `Authorization` header, scheme
/// `Bearer` in any case, then one or more spaces, then a non-empty token of
/// printable ASCII.
pub(crate) fn credentials(headers: &HeaderMap) -> Credentials<'_> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Credentials::Missing;
    };
    if values.next().is_some() {
        return Credentials::Malformed;
    }
    parse(value).map_or(Credentials::Malformed, Credentials::Bearer)
}

fn parse(value: &HeaderValue) -> Option<&str> {
    // One pass over the bytes: `bearer` in any case, spaces, then a token of
    // printable ASCII (which makes the whole value valid UTF-8).
    let bytes = value.as_bytes();
    let (scheme, rest) = bytes.split_at_checked(SCHEME.len())?;
    if !scheme.eq_ignore_ascii_case(SCHEME) || rest.first() != Some(&b' ') {
        return None;
    }
    let start = rest.iter().position(|b| *b != b' ')?;
    let token = &rest[start..];
    if !token.iter().all(u8::is_ascii_graphic) {
        return None;
    }
    std::str::from_utf8(token).ok()
}

const SCHEME: &[u8] = b"bearer";

/// The realm of every challenge.
pub(crate) const REALM: &str = "webmethod";

/// RFC 6750 error codes of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// No credentials were sent: no error code.
    Missing,
    InvalidRequest,
    InvalidToken,
}

/// The `WWW-Authenticate` value for a 401. `description` is reduced to the
/// characters RFC 6750 allows in `error_description`.
pub(crate) fn challenge(kind: Challenge, description: &str) -> HeaderValue {
    let code = match kind {
        Challenge::Missing => return HeaderValue::from_static("Bearer realm=\"webmethod\""),
        Challenge::InvalidRequest => "invalid_request",
        Challenge::InvalidToken => "invalid_token",
    };
    let description: String = description
        .chars()
        .map(|c| {
            if matches!(c, ' ' | '!' | '#'..='[' | ']'..='~') {
                c
            } else {
                ' '
            }
        })
        .take(200)
        .collect();
    let value =
        format!("Bearer realm=\"{REALM}\", error=\"{code}\", error_description=\"{description}\"");
    HeaderValue::from_str(&value)
        .unwrap_or_else(|_| HeaderValue::from_static("Bearer realm=\"webmethod\""))
}

/// The challenge of a 403 for a missing scope (RFC 6750 §3.1): the scope
/// that would satisfy the route, so that a client can ask for it.
/// `scope` is a route's `required_scope`, which the macro checked: RFC 6749
/// scope characters, none of which needs escaping in a quoted string.
pub(crate) fn insufficient_scope(scope: &str) -> HeaderValue {
    let value =
        format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\", scope=\"{scope}\"");
    HeaderValue::from_str(&value).unwrap_or_else(|_| {
        HeaderValue::from_static("Bearer realm=\"webmethod\", error=\"insufficient_scope\"")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(values: &[&[u8]]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(AUTHORIZATION, HeaderValue::from_bytes(v).unwrap());
        }
        headers
    }

    #[test]
    fn parses_bearer_tokens() {
        assert_eq!(credentials(&with(&[])), Credentials::Missing);
        assert_eq!(
            credentials(&with(&[b"Bearer abc"])),
            Credentials::Bearer("abc")
        );
        assert_eq!(
            credentials(&with(&[b"bearer abc"])),
            Credentials::Bearer("abc")
        );
        assert_eq!(
            credentials(&with(&[b"BEARER  a.b-c_d~+/="])),
            Credentials::Bearer("a.b-c_d~+/=")
        );
        for bad in [
            &b"Basic abc"[..],
            b"Bearer",
            b"Bearer ",
            b"Bearer   ",
            b"Bearerabc",
            b"Bearer a b",
            b"Bearer a\tb",
            b"Bearer \xc3\xa9t\xc3\xa9",
            b"Token abc",
            b"",
        ] {
            assert_eq!(
                credentials(&with(&[bad])),
                Credentials::Malformed,
                "{bad:?}"
            );
        }
        assert_eq!(
            credentials(&with(&[b"Bearer a", b"Bearer a"])),
            Credentials::Malformed
        );
    }

    #[test]
    fn challenges_are_valid_headers() {
        assert_eq!(
            challenge(Challenge::Missing, "x"),
            "Bearer realm=\"webmethod\""
        );
        let v = challenge(Challenge::InvalidToken, "bad \"token\"\n\\ é");
        assert_eq!(
            v,
            "Bearer realm=\"webmethod\", error=\"invalid_token\", error_description=\"bad  token     \""
        );
    }
}
