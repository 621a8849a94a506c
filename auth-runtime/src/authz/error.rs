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
