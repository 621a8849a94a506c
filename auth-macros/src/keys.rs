//! The attribute's keys, listed once, and the "did you mean" hint.

pub const ROUTE: &str = "route";
pub const METHOD: &str = "method";
pub const LEVEL: &str = "level";
pub const REQUIRE_AUTHENTICATION: &str = "require_authentication";
pub const REQUIRED_SCOPE: &str = "required_scope";
pub const DEPRECATED: &str = "deprecated";
pub const DESCRIPTIVE_NAME: &str = "descriptive_name";
pub const STATE: &str = "state";
pub const OPERATION_ID: &str = "operation_id";
pub const STATUS: &str = "status";
pub const RESPONSE: &str = "response";

pub const ALL: &[&str] = &[
    ROUTE,
    METHOD,
    LEVEL,
    REQUIRE_AUTHENTICATION,
    REQUIRED_SCOPE,
    DEPRECATED,
    DESCRIPTIVE_NAME,
    STATE,
    OPERATION_ID,
    STATUS,
    RESPONSE,
];

/// HTTP methods a route may declare (llama-stack's set).
pub const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

/// The closest candidate within a small edit distance, for "did you mean" hints.
pub fn nearest<'a>(input: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let input = input.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (edit_distance(&input, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| {
            *d <= (c.len() / 3).max(2)
                || (input.len() >= 4 && c.to_ascii_lowercase().starts_with(&input))
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        assert_eq!(nearest("rout", ALL), Some(ROUTE));
        assert_eq!(nearest("required_scopes", ALL), Some(REQUIRED_SCOPE));
        assert_eq!(nearest("require_auth", ALL), Some(REQUIRE_AUTHENTICATION));
        assert_eq!(nearest("xyz", ALL), None);
        assert_eq!(nearest("get", METHODS), Some("GET"));
        assert_eq!(nearest("DELET", METHODS), Some("DELETE"));
    }
}
