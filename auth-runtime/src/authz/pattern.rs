//! Python `re.match` on Rust's `regex`: anchored at the start only, `$` also
//! matching just before one final newline, and Python's meaning of `\w`, `\W`,
//! `\s`, `\S` and `\Z`. Syntax the two dialects read differently, or that
//! Python cannot compile (so llama-stack would never match it), is a load
//! error, never a silent difference.

use regex_automata::meta::Regex;
use regex_automata::util::syntax;

use super::{PolicyError, RuleError};
use crate::Errors;

/// A compiled `regex:` pattern.
#[derive(Debug, Clone)]
pub struct PyRegex {
    regex: Regex,
    /// The pattern has `$` and no `\Z`: retry without one final newline.
    dollar: bool,
}

/// Python's `\w` for str patterns: what `str.isalnum()` accepts, and `_`.
const WORD: &str = r"[\p{L}\p{N}_]";
const NOT_WORD: &str = r"[^\p{L}\p{N}_]";
/// Python's `\s`: `str.isspace()`, which also counts U+001C..U+001F.
const SPACE: &str = r"[\s\x1C-\x1F]";
const NOT_SPACE: &str = r"[^\s\x1C-\x1F]";

/// Rewrites a Python pattern into Rust's dialect, or says why it cannot.
fn translate(pattern: &str) -> Result<String, String> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    let mut class_start = false;
    while let Some(c) = chars.next() {
        let starting = std::mem::replace(&mut class_start, false);
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    return Err("a pattern cannot end with `\\`".into());
                };
                match e {
                    'w' => out.push_str(WORD),
                    'W' => out.push_str(NOT_WORD),
                    's' => out.push_str(SPACE),
                    'S' => out.push_str(NOT_SPACE),
                    'Z' if !in_class => out.push_str(r"\z"),
                    // Escapes Python does not know (it refuses the pattern).
                    'p' | 'P' | 'z' | 'h' | 'H' | 'v' | 'V' | 'e' | 'K' | 'R' | 'X' | 'g' | 'k'
                    | 'o' | 'Q' | 'E' => {
                        return Err(format!("`\\{e}` is not Python regex syntax"));
                    }
                    _ => {
                        out.push('\\');
                        out.push(e);
                    }
                }
            }
            '[' if in_class => {
                if chars.peek() == Some(&':') {
                    return Err("`[:` in a set: Python reads it literally, Rust as a POSIX class; escape the `[`".into());
                }
                // Python: a literal `[` in a set; Rust: a nested set.
                out.push_str(r"\[");
            }
            '[' => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                // A `]` right after `[` or `[^` is literal in both dialects.
                if chars.peek() == Some(&']') {
                    out.push_str(r"\]");
                    chars.next();
                }
            }
            ']' if in_class && !starting => {
                in_class = false;
                out.push(']');
            }
            '-' | '&' | '~' if in_class && chars.peek() == Some(&c) => {
                return Err(format!(
                    "`{c}{c}` in a set: Rust reads it as a set operation, Python literally; escape it"
                ));
            }
            // `$` may match before a final newline in Python; the engine
            // emulates that only where nothing follows `$` in its branch.
            '$' if !in_class && !matches!(chars.peek(), None | Some(')') | Some('|')) => {
                return Err(
                    "`$` followed by more pattern is not supported; end the branch at `$`".into(),
                );
            }
            '(' if !in_class && chars.peek() == Some(&'?') => {
                out.push('(');
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with("?<") && !rest.starts_with("?<=") && !rest.starts_with("?<!") {
                    return Err("`(?<name>` is not Python syntax; write `(?P<name>`".into());
                }
                let flags: String = chars
                    .clone()
                    .skip(1)
                    .take_while(|c| c.is_ascii_alphabetic() || *c == '-')
                    .collect();
                if let Some(bad) = flags.chars().find(|f| matches!(f, 'U' | 'R')) {
                    return Err(format!("inline flag `{bad}` is not Python syntax"));
                }
            }
            _ => out.push(c),
        }
    }
    Ok(out)
}

/// What the `regex:` patterns of one policy may take once compiled: a
/// pattern is compiled with what is left as its size limit, so a policy of
/// hundreds of heavy patterns is refused at load, before it takes the memory.
#[derive(Debug)]
pub(crate) struct RegexBudget {
    left: usize,
    /// Patterns not compiled because the budget was spent.
    skipped: usize,
}

impl RegexBudget {
    /// The budget of one policy's patterns: 64 MiB compiled. A pattern such
    /// as `model::[\w-]+` takes about 56 KiB (Unicode classes), `model::m1`
    /// 4 KiB, `\w{50}` 2.7 MB.
    pub(crate) const POLICY: usize = 64 << 20;

    /// A full budget for one policy.
    pub(crate) fn policy() -> RegexBudget {
        RegexBudget {
            left: Self::POLICY,
            skipped: 0,
        }
    }

    /// The errors of a policy's compilation (`None`: it compiled), with
    /// the patterns skipped once the budget was spent folded into the one
    /// that spent it.
    pub(crate) fn report(&self, errors: Vec<PolicyError>) -> Option<Errors<PolicyError>> {
        let spent = RuleError::BudgetSpent.to_string();
        // A pattern is skipped only after one spent the budget, whose error
        // stays: the skipped ones alone are never all there is.
        let first = errors.first().cloned();
        let mut out: Vec<PolicyError> = errors.into_iter().filter(|e| e.message != spent).collect();
        if self.skipped > 0
            && let Some(first) = out.iter_mut().find(|e| e.message.contains("is too large"))
        {
            first.message.push_str(&format!(
                " ({} later `regex:` patterns were not compiled)",
                self.skipped
            ));
        }
        Errors::from_vec(out).or_else(|| first.map(Errors::new))
    }
}

/// The lazy DFA's cache per pattern and thread: far more than matching a
/// resource name or a path needs, and bounded (the default is 2 MiB).
const MATCH_CACHE: usize = 256 << 10;

impl PyRegex {
    /// Compiles a Python pattern, anchored at the start as `re.match` is; an
    /// error says why it cannot be used. It has a policy's whole budget of
    /// compiled size to itself.
    pub fn new(pattern: &str) -> Result<PyRegex, RuleError> {
        PyRegex::within(pattern, &mut RegexBudget::policy())
    }

    /// As [`new`](Self::new), taking its compiled size from `budget`.
    pub(crate) fn within(pattern: &str, budget: &mut RegexBudget) -> Result<PyRegex, RuleError> {
        let invalid = |reason: String| RuleError::Regex {
            pattern: pattern.to_owned(),
            reason,
        };
        let translated = translate(pattern).map_err(invalid)?;
        let too_large = || RuleError::RegexTooLarge {
            pattern: pattern.to_owned(),
            mib: RegexBudget::POLICY >> 20,
        };
        // Spent: the rest of the policy is not compiled at all, and not
        // reported one by one either (see `RegexBudget::report`).
        if budget.left == 0 {
            budget.skipped += 1;
            return Err(RuleError::BudgetSpent);
        }
        let config = Regex::config()
            .nfa_size_limit(Some(budget.left))
            .onepass_size_limit(Some(budget.left))
            .hybrid_cache_capacity(MATCH_CACHE);
        let regex = Regex::builder()
            .configure(config)
            .syntax(syntax::Config::new())
            .build(&format!("^(?:{translated})"))
            .map_err(|e| match e.size_limit() {
                Some(_) => {
                    budget.left = 0;
                    too_large()
                }
                None => invalid(e.to_string()),
            })?;
        budget.left = budget.left.saturating_sub(regex.memory_usage());
        Ok(PyRegex {
            regex,
            dollar: pattern.contains('$') && !pattern.contains(r"\Z"),
        })
    }

    /// The heap memory of the compiled pattern, in bytes (its match caches
    /// aside).
    pub fn memory(&self) -> usize {
        self.regex.memory_usage()
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
        assert!(m("a|b", "b..."), "alternation is grouped under the anchor");
        assert!(m("(?P<n>a)b", "ab"));
        assert!(m(r"[\w-]+$", "a-b_c"));
        assert!(m(r"[]a]", "]"));
        assert!(m(r"[^]a]", "b"));
        assert!(m(r"\\w", r"\w"), "an escaped backslash stays one");
        assert!(m("(a$|b)", "a\n"));
        assert!(m(r"a\$b", "a$b"), "an escaped dollar is literal");
    }

    #[test]
    fn word_and_space_are_pythons() {
        assert!(m(r"model::\w+$", "model::é"), "Unicode letters");
        assert!(
            m(r"model::\w+$", "model::x²"),
            "No digits are alnum in Python"
        );
        assert!(m(r"model::\w+$", "model::½"));
        assert!(
            !m(r"model::\w+$", "model::e\u{301}"),
            "combining marks are not"
        );
        assert!(!m(r"model::\w+$", "model::a\u{200d}b"), "nor joiners");
        assert!(m(r"model::a\s", "model::a\x1c"), "isspace() counts U+001C");
        assert!(m(r"model::\W", "model::-"));
        assert!(!m(r"model::\S", "model:: "));
    }

    #[test]
    fn refuses_what_python_reads_otherwise() {
        for bad in [
            "(?<=a)b",
            "(",
            r"\pL",
            r"a\z",
            "(?<n>a)",
            "(?U)a",
            "model::[[:alpha:]]",
            "model::[a-z--b]",
            "model::[a-z&&b]",
            "a\\",
            "a$\n",
            "a$b",
        ] {
            assert!(PyRegex::new(bad).is_err(), "{bad:?}");
        }
    }
}

#[cfg(test)]
mod budget_tests {
    use super::*;
    use crate::authz::{AccessPolicy, RoutePolicy};
    use serde_json::json;

    /// Hundreds of heavy patterns are refused at load, naming the first rule
    /// that does not fit, before they take the memory (the probe saw 1.5 GB
    /// for 800 rules); light ones load. (Small counts: compiling Unicode
    /// classes is slow in a debug build.)
    #[test]
    fn a_policy_over_its_regex_budget_is_refused() {
        let heavy = |i: usize| json!({"permit": {"actions": ["read"], "resource": format!("regex:model::{i}\\w{{50}}")}});
        let rules: Vec<_> = (0..200).map(heavy).collect();
        let errors = AccessPolicy::compile(&rules).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let first = errors.first();
        assert!(
            first
                .message
                .contains("later `regex:` patterns were not compiled"),
            "{}",
            first.message
        );
        assert!(first.message.contains("too large"), "{}", first.message);
        assert!(first.message.contains("64 MiB"), "{}", first.message);
        // About two dozen fit (2.7 MB each), never hundreds.
        assert!((10..40).contains(&first.rule), "rule {}", first.rule);
        assert_eq!(
            first.path("p"),
            format!("p[{}].permit.resource", first.rule)
        );
        let light: Vec<_> = (0..100)
            .map(|i| json!({"permit": {"actions": ["read"], "resource": format!("regex:model::[\\w-]+{i}")}}))
            .collect();
        AccessPolicy::compile(&light).unwrap();
        let paths: Vec<_> = (0..200)
            .map(|i| json!({"permit": {"paths": format!("regex:/v1/{i}\\w{{50}}")}}))
            .collect();
        assert!(RoutePolicy::compile(&paths).is_err());
    }

    #[test]
    fn one_pattern_reports_its_size() {
        assert!(PyRegex::new("model::m1").unwrap().memory() < 64 << 10);
        let big = PyRegex::new(r"\w{50}").unwrap().memory();
        assert!(big > 1 << 20, "{big}");
        let mut budget = RegexBudget {
            left: big / 2,
            skipped: 0,
        };
        let err = PyRegex::within(r"\w{50}", &mut budget)
            .unwrap_err()
            .to_string();
        assert!(err.contains("too large"), "{err}");
    }
}
