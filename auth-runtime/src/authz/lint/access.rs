//! The access policy's lint.

use serde_json::Value;

use super::conditions::{
    empty_conditions, implies, join, needs_owner, summary, unknown_attributes,
};
use super::{ACCESS_POLICY, LintKind, Produced, Warning};
use crate::authz::resource_policy::{AccessPolicy, AccessRule, ResourcePattern};
use crate::authz::rules::{Action, Conditions};
pub(super) fn lint_access(
    raw: &[Value],
    policy: &AccessPolicy,
    produced: &Produced,
    out: &mut Vec<Warning>,
) {
    let rules = policy.rules();
    let warn = |rule: usize, kind: LintKind, message: String| {
        Warning::new(ACCESS_POLICY, rule, kind, message)
    };
    if *produced == Produced::NoProvider {
        out.push(warn(
            0,
            LintKind::AuthenticationOff,
            "authentication is off (no `server.auth.provider_config`): there never is a user, \
             so the access policy is not applied and every action is allowed"
                .to_owned(),
        ));
    }
    let catch_all = rules.iter().position(is_catch_all_permit);
    for (j, rule) in rules.iter().enumerate() {
        empty_conditions(raw.get(j), &rule.conditions, "caller", |kind, m| {
            out.push(warn(j, kind, m));
        });
        if let Some(c) = catch_all.filter(|c| *c < j && !rule.permit) {
            out.push(warn(
                j,
                LintKind::ForbidAfterCatchAll,
                format!(
                    "forbid after a catch-all permit: rule {c} permits every action on every \
                     resource to everyone, and the first matching rule decides, so this forbid \
                     is shadowed and never applies"
                ),
            ));
        } else if let Some(i) = (0..j).find(|i| access_covers(&rules[*i], rule)) {
            out.push(warn(
                j,
                LintKind::Shadowed,
                format!(
                    "shadowed: rule {i} ({}) matches every case this rule matches and is tried \
                     first, so this rule never applies",
                    summary(rules[i].permit, &rules[i].conditions)
                ),
            ));
        }
        unknown_attributes(&rule.conditions, produced, |m| {
            out.push(warn(j, LintKind::UnknownAttribute, m));
        });
        if let Conditions::Unless(list) = &rule.conditions
            && list.len() >= 2
        {
            out.push(warn(
                j,
                LintKind::UnlessList,
                format!(
                    "`unless: [{}]` in an access_policy means \"unless ALL of them hold\"; the \
                     same list in a route_policy means \"unless ANY of them holds\"",
                    join(list)
                ),
            ));
        }
        if let ResourcePattern::Exact(p) = &rule.resource {
            let problem = if p == "*" {
                Some(
                    "resource `*` is literal and matches nothing; leave `resource` out to match \
                     every resource"
                        .to_owned(),
                )
            } else if let Some(stem) = p.strip_suffix('*') {
                Some(format!(
                    "resource `{p}` is matched literally: only a whole identifier `type::*` is a \
                     wildcard (for a prefix, use `regex:{}.*`)",
                    regex::escape(stem)
                ))
            } else if !p.contains("::") {
                Some(format!(
                    "resource `{p}` matches nothing: resources are named `type::identifier` \
                     (`{p}::*` matches every `{p}`)"
                ))
            } else {
                None
            };
            if let Some(m) = problem {
                out.push(warn(j, LintKind::Pattern, m));
            }
        }
        if rule.covers(Action::Create) {
            let verb = if rule.permit { "permits" } else { "forbids" };
            match &rule.conditions {
                Conditions::When(list) => {
                    if let Some(c) = list.iter().find(|c| needs_owner(c)) {
                        out.push(warn(
                            j,
                            LintKind::NoOwner,
                            format!(
                                "`{c}` never holds for `create` (it is checked before the \
                                 resource has an owner), so this rule never {verb} a create"
                            ),
                        ));
                    }
                }
                Conditions::Unless(list) => {
                    if let Some(c) = list.iter().find(|c| needs_owner(c)) {
                        out.push(warn(
                            j,
                            LintKind::NoOwner,
                            format!(
                                "`{c}` never holds for `create` (it is checked before the \
                                 resource has an owner), so `unless` never exempts a create: \
                                 this rule {verb} every create it covers"
                            ),
                        ));
                    }
                }
                Conditions::Always => {}
            }
        }
    }
}

/// Whether `earlier` applies to every case `later` applies to.
pub(super) fn access_covers(earlier: &AccessRule, later: &AccessRule) -> bool {
    earlier
        .principal
        .as_ref()
        .is_none_or(|p| later.principal.as_ref() == Some(p))
        && later.actions().all(|a| earlier.covers(a))
        && resource_covers(&earlier.resource, &later.resource)
        && implies(&earlier.conditions, &later.conditions, false)
}

/// Every resource `later` matches, `earlier` matches.
pub(super) fn resource_covers(earlier: &ResourcePattern, later: &ResourcePattern) -> bool {
    match (earlier, later) {
        (ResourcePattern::Any, _) => true,
        (_, ResourcePattern::Any) => false,
        (ResourcePattern::Exact(a), ResourcePattern::Exact(b)) => a == b,
        (ResourcePattern::Prefix(p), ResourcePattern::Exact(b) | ResourcePattern::Prefix(b)) => {
            b.starts_with(p.as_str())
        }
        // An exact pattern matches one qualified name: the regex decides it.
        (ResourcePattern::Regex { source, regex }, ResourcePattern::Exact(b)) => {
            source == b || regex.matches(b)
        }
        (ResourcePattern::Regex { source: a, .. }, ResourcePattern::Regex { source: b, .. }) => {
            a == b
        }
        _ => false,
    }
}

/// Permits every action on every resource to everyone, unconditionally.
pub(super) fn is_catch_all_permit(rule: &AccessRule) -> bool {
    rule.permit
        && rule.conditions == Conditions::Always
        && rule.principal.is_none()
        && matches!(rule.resource, ResourcePattern::Any)
        && Action::ALL.iter().all(|a| rule.covers(*a))
}
