//! Rules in llama-stack's YAML shape, validated and compiled once: the
//! action list becomes a bit set, conditions an enum, patterns matchers.
//! Empty values count as absent, as Python's truthiness makes them.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::condition::Condition;
use super::error::{PolicyError, RuleError};

/// The actions a resource rule governs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// `create`: the resource is being made (it has no owner yet).
    Create,
    /// `read`
    Read,
    /// `update`
    Update,
    /// `delete`
    Delete,
}

impl Action {
    /// Every action, in a fixed order.
    pub const ALL: [Action; 4] = [Action::Create, Action::Read, Action::Update, Action::Delete];

    /// The action's name, as in a rule's `actions` (`read`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Read => "read",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }

    pub(crate) const fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl FromStr for Action {
    type Err = RuleError;

    fn from_str(s: &str) -> Result<Action, RuleError> {
        Action::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| RuleError::Action { name: s.to_owned() })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string or a list of strings.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub(crate) fn items(&self) -> Vec<&str> {
        match self {
            OneOrMany::One(s) => vec![s.as_str()],
            OneOrMany::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }

    /// Python truthiness: `""` and `[]` are absent.
    fn is_truthy(&self) -> bool {
        match self {
            OneOrMany::One(s) => !s.is_empty(),
            OneOrMany::Many(v) => !v.is_empty(),
        }
    }
}

/// A rule as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRule<S> {
    pub permit: Option<S>,
    pub forbid: Option<S>,
    pub when: Option<OneOrMany>,
    pub unless: Option<OneOrMany>,
    pub description: Option<String>,
}

/// `permit:` / `forbid:` of an access rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawScope {
    pub principal: Option<String>,
    pub actions: OneOrMany,
    pub resource: Option<String>,
    /// Misplaced but harmless (llama-stack's own examples put it here): kept
    /// for the lint, ignored by decisions. Any other unknown key is an error.
    pub description: Option<String>,
}

/// `permit:` / `forbid:` of a route rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRouteScope {
    pub paths: OneOrMany,
    /// As in [`RawScope::description`].
    pub description: Option<String>,
}

/// `when` / `unless`, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conditions {
    /// Neither `when` nor `unless` (or an empty one): no condition.
    Always,
    /// All must hold.
    When(Vec<Condition>),
    /// The rule applies unless these hold (all of them for resource rules,
    /// any of them for route rules: llama-stack's two readings).
    Unless(Vec<Condition>),
}

impl Conditions {
    /// The conditions of `when` or `unless`; empty for [`Conditions::Always`].
    pub fn list(&self) -> &[Condition] {
        match self {
            Conditions::Always => &[],
            Conditions::When(c) | Conditions::Unless(c) => c,
        }
    }
}

/// The parts every rule shares, checked.
pub(crate) struct Checked<S> {
    pub permit: bool,
    pub scope: S,
    pub conditions: Conditions,
    pub description: Option<String>,
}

/// Deserializes rule `index` and applies the checks llama-stack's validators make.
pub(crate) fn check<S: DeserializeOwned>(
    index: usize,
    value: &Value,
) -> Result<Checked<S>, PolicyError> {
    let raw: RawRule<S> = serde_path_to_error::deserialize(value).map_err(|e| {
        let field = e.path().to_string();
        let field = if field == "." { String::new() } else { field };
        PolicyError::new(index, field, e.into_inner().to_string())
    })?;
    let (permit, scope) = match (raw.permit, raw.forbid) {
        (Some(scope), None) => (true, scope),
        (None, Some(scope)) => (false, scope),
        (Some(_), Some(_)) => {
            return Err(PolicyError::new(
                index,
                "",
                "a rule has `permit` or `forbid`, not both",
            ));
        }
        (None, None) => {
            return Err(PolicyError::new(
                index,
                "",
                "a rule needs `permit` or `forbid`",
            ));
        }
    };
    let when = raw.when.filter(OneOrMany::is_truthy);
    let unless = raw.unless.filter(OneOrMany::is_truthy);
    let parse = |field: &str, list: &OneOrMany| -> Result<Vec<Condition>, PolicyError> {
        list.items()
            .into_iter()
            .map(|c| Condition::parse(c).map_err(|e| PolicyError::new(index, field, e.to_string())))
            .collect()
    };
    let conditions = match (&when, &unless) {
        (Some(_), Some(_)) => {
            return Err(PolicyError::new(
                index,
                "",
                "`when` and `unless` are mutually exclusive",
            ));
        }
        (Some(w), None) => Conditions::When(parse("when", w)?),
        (None, Some(u)) => Conditions::Unless(parse("unless", u)?),
        (None, None) => Conditions::Always,
    };
    Ok(Checked {
        permit,
        scope,
        conditions,
        description: raw.description,
    })
}
