//! Policy load errors: which rule, which field, what is wrong.

use std::fmt;

/// A policy that cannot be loaded. The server refuses to start on it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PolicyError {
    /// Index of the rule in the configured list.
    pub rule: usize,
    /// The field of the rule (`permit.actions`, `when`, ...), or empty.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl PolicyError {
    pub(crate) fn new(rule: usize, field: impl Into<String>, message: impl Into<String>) -> Self {
        PolicyError {
            rule,
            field: field.into(),
            message: message.into(),
        }
    }

    /// The path of the bad field under `list` (`server.auth.access_policy`).
    pub fn path(&self, list: &str) -> String {
        if self.field.is_empty() {
            format!("{list}[{}]", self.rule)
        } else {
            format!("{list}[{}].{}", self.rule, self.field)
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            write!(f, "rule {}: {}", self.rule, self.message)
        } else {
            write!(f, "rule {} `{}`: {}", self.rule, self.field, self.message)
        }
    }
}

impl std::error::Error for PolicyError {}

/// A piece of a rule that cannot be used: an action, a condition or a
/// `regex:` pattern. A [`PolicyError`] carries it with its rule and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// Not one of llama-stack's actions.
    #[error("unknown action {name:?}; one of: create, read, update, delete")]
    Action {
        /// The action as written.
        name: String,
    },
    /// Not one of the accepted condition forms.
    #[error(
        "cannot parse condition {text:?}; the accepted forms are {}",
        super::condition::FORMS
    )]
    Condition {
        /// The condition as written.
        text: String,
    },
    /// A pattern that is not Python regex syntax, or that Rust's engine
    /// refuses.
    #[error("invalid regex {pattern:?}: {reason}")]
    Regex {
        /// The pattern as written, without `regex:`.
        pattern: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A pattern that does not fit in what the policy's budget of compiled
    /// size has left.
    #[error(
        "regex {pattern:?} is too large: the `regex:` patterns of one policy may compile to {mib} MiB in all, and this one does not fit in what the patterns before it left; simplify it (bounded repetitions of `\\w` or of large classes are the usual cause)"
    )]
    RegexTooLarge {
        /// The pattern as written, without `regex:`.
        pattern: String,
        /// The policy's budget, in MiB.
        mib: usize,
    },
    /// Not compiled: an earlier pattern spent the policy's budget (folded
    /// into that pattern's error when reported).
    #[error("the budget of `regex:` patterns is spent")]
    BudgetSpent,
}
