//! What both lints ask of a rule's conditions.

use serde_json::Value;

use super::{LintKind, Produced};
use crate::authz::condition::Condition;
use crate::authz::rules::Conditions;
/// `when: []`, `when: ""`, `when:` (and `unless`) as written: no condition.
pub(super) fn empty_conditions(
    raw: Option<&Value>,
    compiled: &Conditions,
    subject: &str,
    mut push: impl FnMut(LintKind, String),
) {
    let Some(object) = raw.and_then(Value::as_object) else {
        return;
    };
    for key in ["when", "unless"] {
        let Some(value) = object.get(key) else {
            continue;
        };
        let empty = match value {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Array(items) => items.is_empty(),
            _ => false,
        };
        if !empty {
            continue;
        }
        let shown = serde_json::to_string(value).unwrap_or_default();
        let effect = if *compiled == Conditions::Always {
            format!("the rule has no condition and applies to every {subject} it covers")
        } else {
            "it is ignored".to_owned()
        };
        push(
            LintKind::EmptyCondition,
            format!("`{key}: {shown}` is empty and counts as no condition: {effect}"),
        );
    }
}

/// Conditions reading attributes the provider never produces.
pub(super) fn unknown_attributes(
    conditions: &Conditions,
    produced: &Produced,
    mut push: impl FnMut(String),
) {
    let Produced::Known { source, attributes } = produced else {
        return;
    };
    for c in conditions.list() {
        let Some(attribute) = c.attribute() else {
            continue;
        };
        if attributes.contains(attribute) {
            continue;
        }
        let holds = match c {
            Condition::UserWithValueNotIn { .. } | Condition::UserNotInOwners { .. } => {
                "always holds"
            }
            _ => "never holds",
        };
        let known = if attributes.is_empty() {
            "none".to_owned()
        } else {
            attributes
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        };
        push(format!(
            "`{c}` reads attribute `{attribute}`, which the provider never produces \
             ({source}: {known}), so it {holds}"
        ));
    }
}

/// Whenever `later`'s conditions hold, `earlier`'s hold too.
pub(super) fn implies(earlier: &Conditions, later: &Conditions, route: bool) -> bool {
    let subset = |a: &[Condition], b: &[Condition]| a.iter().all(|c| b.contains(c));
    match (earlier, later) {
        (Conditions::Always, _) => true,
        // All of `earlier`'s are among `later`'s.
        (Conditions::When(e), Conditions::When(l)) => subset(e, l),
        // Routes: unless any of `l` holds => unless any of `e` holds when e ⊆ l.
        (Conditions::Unless(e), Conditions::Unless(l)) if route => subset(e, l),
        // Resources: unless all of `l` hold => unless all of `e` hold when l ⊆ e.
        (Conditions::Unless(e), Conditions::Unless(l)) => subset(l, e),
        _ => false,
    }
}

pub(super) fn summary(permit: bool, conditions: &Conditions) -> String {
    let verb = if permit { "permit" } else { "forbid" };
    match conditions {
        Conditions::Always => format!("an unconditional {verb}"),
        Conditions::When(l) => format!("a {verb} when {}", join(l)),
        Conditions::Unless(l) => format!("a {verb} unless {}", join(l)),
    }
}

pub(super) fn join(conditions: &[Condition]) -> String {
    conditions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Conditions that need an owner to hold.
pub(super) fn needs_owner(c: &Condition) -> bool {
    matches!(c, Condition::UserIsOwner | Condition::UserInOwners { .. })
}
