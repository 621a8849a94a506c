//! The route policy's lint.

use serde_json::Value;

use super::conditions::{
    empty_conditions, implies, join, needs_owner, summary, unknown_attributes,
};
use super::{LintKind, Produced, ROUTE_POLICY, Warning};
use crate::authz::route_policy::{PathPattern, RoutePolicy, RouteRule};
use crate::authz::rules::Conditions;
pub(super) fn lint_route(
    raw: &[Value],
    policy: &RoutePolicy,
    produced: &Produced,
    out: &mut Vec<Warning>,
) {
    let rules = policy.rules();
    let warn = |rule: usize, kind: LintKind, message: String| {
        Warning::new(ROUTE_POLICY, rule, kind, message)
    };
    let catch_all = rules.iter().position(is_catch_all_route);
    for (j, rule) in rules.iter().enumerate() {
        empty_conditions(raw.get(j), &rule.conditions, "request", |kind, m| {
            out.push(warn(j, kind, m));
        });
        if let Some(c) = catch_all.filter(|c| *c < j && !rule.permit) {
            out.push(warn(
                j,
                LintKind::ForbidAfterCatchAll,
                format!(
                    "forbid after a catch-all permit: rule {c} permits every path to every \
                     caller, and the first matching rule decides, so this forbid is shadowed \
                     and never applies"
                ),
            ));
        } else if let Some(i) = (0..j).find(|i| route_covers(&rules[*i], rule)) {
            out.push(warn(
                j,
                LintKind::Shadowed,
                format!(
                    "shadowed: rule {i} ({}) matches every path and caller this rule matches and \
                     is tried first, so this rule never applies",
                    summary(rules[i].permit, &rules[i].conditions)
                ),
            ));
        }
        unknown_attributes(&rule.conditions, produced, |m| {
            out.push(warn(j, LintKind::UnknownAttribute, m));
        });
        if rule.conditions != Conditions::Always {
            let message = if *produced == Produced::NoProvider {
                "authentication is off (no `server.auth.provider_config`): every caller is \
                 anonymous and a rule with conditions never matches an anonymous caller, so \
                 this rule never applies"
                    .to_owned()
            } else if rule.permit {
                "a rule with conditions never matches an anonymous caller (a public route, or \
                 authentication off): such a caller is not permitted by it and falls through \
                 to the next rules"
                    .to_owned()
            } else {
                "a rule with conditions never matches an anonymous caller (a public route, or \
                 authentication off): such a caller is NOT forbidden by it and falls through \
                 to the next rules"
                    .to_owned()
            };
            out.push(warn(j, LintKind::Anonymous, message));
        }
        if let Conditions::Unless(list) = &rule.conditions
            && list.len() >= 2
        {
            out.push(warn(
                j,
                LintKind::UnlessList,
                format!(
                    "`unless: [{}]` in a route_policy means \"unless ANY of them holds\"; the \
                     same list in an access_policy means \"unless ALL of them hold\"",
                    join(list)
                ),
            ));
        }
        if let Conditions::When(list) = &rule.conditions
            && let Some(c) = list.iter().find(|c| needs_owner(c))
        {
            out.push(warn(
                j,
                LintKind::NoOwner,
                format!(
                    "`{c}` never holds in a route rule (routes have no owner), so this rule \
                     never applies"
                ),
            ));
        }
        for path in &rule.paths {
            let problem = match path {
                PathPattern::Exact(p) | PathPattern::Prefix(p) if p.contains('*') => Some(format!(
                    "path `{}`: only a final `*` is a wildcard, the others are literal",
                    path_source(path)
                )),
                PathPattern::Exact(p) if p.len() > 1 && p.ends_with('/') => Some(format!(
                    "path `{p}` never matches: trailing `/` are stripped from request paths \
                     before matching (write `{}`)",
                    p.trim_end_matches('/')
                )),
                _ => None,
            };
            if let Some(m) = problem {
                out.push(warn(j, LintKind::Pattern, m));
            }
        }
    }
}

pub(super) fn route_covers(earlier: &RouteRule, later: &RouteRule) -> bool {
    later
        .paths
        .iter()
        .all(|l| earlier.paths.iter().any(|e| path_covers(e, l)))
        && implies(&earlier.conditions, &later.conditions, true)
}

/// Every path `later` matches, `earlier` matches.
pub(super) fn path_covers(earlier: &PathPattern, later: &PathPattern) -> bool {
    match (earlier, later) {
        (PathPattern::All, _) => true,
        (_, PathPattern::All) => false,
        (PathPattern::Exact(a), PathPattern::Exact(b)) => a == b,
        (PathPattern::Prefix(p), PathPattern::Exact(b) | PathPattern::Prefix(b)) => {
            b.starts_with(p.as_str())
        }
        (PathPattern::Regex { regex, .. }, PathPattern::Exact(b)) => regex.matches(b),
        (PathPattern::Regex { source: a, .. }, PathPattern::Regex { source: b, .. }) => a == b,
        _ => false,
    }
}

/// Permits every path to every caller, unconditionally.
pub(super) fn is_catch_all_route(rule: &RouteRule) -> bool {
    rule.permit
        && rule.conditions == Conditions::Always
        && rule.paths.iter().any(|p| matches!(p, PathPattern::All))
}

pub(super) fn path_source(path: &PathPattern) -> String {
    match path {
        PathPattern::All => "*".to_owned(),
        PathPattern::Regex { source, .. } => source.clone(),
        PathPattern::Prefix(p) => format!("{p}*"),
        PathPattern::Exact(p) => p.clone(),
    }
}
