//! What never reaches a log line or an answer: the caller's token inside a
//! provider's message. (A configured URL's credentials: `config::shown`,
//! re-exported here for the providers.)

use std::collections::HashSet;

pub(crate) use crate::config::shown::{Url, url};

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
}
