//! Python `re.match` on Rust's `regex`: anchored at the start only, and `$`
//! also matching just before one final newline, as llama-stack's patterns
//! behave. Python syntax that Rust lacks (look-around, back-references) is a
//! load error, never a silent no-match.

use regex::Regex;

/// A compiled `regex:` pattern.
#[derive(Debug, Clone)]
pub struct PyRegex {
    regex: Regex,
    /// The pattern has `$` and no `\Z`: retry without one final newline.
    dollar: bool,
}

impl PyRegex {
    pub fn new(pattern: &str) -> Result<PyRegex, String> {
        // Python's `\Z` is Rust's `\z` (end of text only).
        let translated = pattern.replace(r"\Z", r"\z");
        let regex = Regex::new(&format!("^(?:{translated})"))
            .map_err(|e| format!("invalid regex {pattern:?}: {e}"))?;
        Ok(PyRegex {
            regex,
            dollar: pattern.contains('$') && !pattern.contains(r"\Z") && !pattern.contains(r"\z"),
        })
    }

    /// `re.match(pattern, text)` is truthy.
    pub fn matches(&self, text: &str) -> bool {
        if self.regex.is_match(text) {
            return true;
        }
        // `re.match` only anchors the start, so dropping a final newline can
        // only change the outcome through `$`, which Python lets match there.
        self.dollar
            && text
                .strip_suffix('\n')
                .is_some_and(|t| self.regex.is_match(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        PyRegex::new(p).unwrap().matches(t)
    }

    #[test]
    fn behaves_like_python_re_match() {
        assert!(m("model::a", "model::abc"), "anchored at the start only");
        assert!(!m("a", "model::a"));
        assert!(m("model::a$", "model::a"));
        assert!(m("model::a$", "model::a\n"), "$ before one final newline");
        assert!(!m("model::a$", "model::a\n\n"));
        assert!(!m(r"model::a\Z", "model::a\n"));
        assert!(m(r"model::a\Z", "model::a"));
        assert!(m("(?i)MODEL::A", "model::a"));
        assert!(m(r"model::\w+$", "model::é"), "Unicode \\w");
        assert!(m("a|b", "b..."), "alternation is grouped under the anchor");
        assert!(PyRegex::new("(?<=a)b").is_err(), "look-behind is refused");
        assert!(PyRegex::new("(").is_err());
    }
}
