//! The policy lint of `policy check` (and of the server's start): rules that
//! load but cannot do what they seem to say. Each warning names the policy,
//! the rule and the problem; none of them changes a decision (the decisions
//! stay llama-stack's, LLAMA-STACK-SEMANTICS.md).
//!
//! - shadowed rules: an earlier rule decides every case this one covers;
//! - a forbid after a catch-all permit;
//! - conditions on attributes the configured provider never produces;
//! - llama-stack's footguns: an empty `when` / `unless`, a route rule with
//!   conditions (never matches an anonymous caller), `unless: [a, b]` (AND for
//!   resources, OR for routes), literal resource patterns (`model::m*`, `*`),
//!   owner conditions where there is no owner (`create`, route rules), a route
//!   path that can never match.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use super::condition::Condition;
use super::resource_policy::{AccessPolicy, AccessRule, ResourcePattern};
use super::route_policy::{PathPattern, RoutePolicy, RouteRule};
use super::rules::{Action, Conditions};
use crate::config::{Config, ProviderConfig};

/// The name of the resource policy in warnings.
pub const ACCESS_POLICY: &str = "access_policy";
/// The name of the route policy in warnings.
pub const ROUTE_POLICY: &str = "route_policy";

/// What a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LintKind {
    /// An earlier rule always decides first: this one never applies.
    Shadowed,
    /// A forbid after a permit of everything: it never applies.
    ForbidAfterCatchAll,
    /// A condition reads an attribute the provider never produces.
    UnknownAttribute,
    /// `when: []` / `when: ""` (or `unless`): no condition at all.
    EmptyCondition,
    /// A route rule with conditions never matches an anonymous caller.
    Anonymous,
    /// `unless` with several conditions: AND for resources, OR for routes.
    UnlessList,
    /// A pattern that is literal where a wildcard seems meant, or matches nothing.
    Pattern,
    /// An owner condition where there is no owner (`create`, route rules).
    NoOwner,
    /// No provider: there never is a user, so the access policy never applies.
    AuthenticationOff,
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// [`ACCESS_POLICY`] or [`ROUTE_POLICY`].
    pub policy: &'static str,
    /// Index of the rule in the configured list.
    pub rule: usize,
    pub kind: LintKind,
    pub message: String,
}

impl Warning {
    fn new(policy: &'static str, rule: usize, kind: LintKind, message: String) -> Self {
        Warning {
            policy,
            rule,
            kind,
            message,
        }
    }

    /// `server.auth.access_policy[2]`.
    pub fn path(&self) -> String {
        format!("server.auth.{}[{}]", self.policy, self.rule)
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path(), self.message)
    }
}

/// The attributes the authentication provider can give a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Produced {
    /// No provider: authentication is off and there never is a user.
    NoProvider,
    /// Any attribute (`custom`, `upstream_header`, a provider set in code).
    Any,
    /// Exactly these attribute names; `source` says where they come from.
    Known {
        source: String,
        attributes: BTreeSet<String>,
    },
}

impl Produced {
    /// What the config's `server.auth.provider_config` produces.
    pub fn of(config: &Config) -> Produced {
        let Some(auth) = &config.server.auth else {
            return Produced::NoProvider;
        };
        match &auth.provider_config {
            None => Produced::NoProvider,
            Some(value) => {
                match ProviderConfig::from_value(value.clone(), "server.auth.provider_config") {
                    Ok(provider) => Produced::of_provider(&provider),
                    // A config that does not load is reported as an error elsewhere.
                    Err(_) => Produced::Any,
                }
            }
        }
    }

    /// What one provider produces.
    pub fn of_provider(provider: &ProviderConfig) -> Produced {
        let mapping =
            |kind: &str, m: &std::collections::BTreeMap<String, String>| Produced::Known {
                source: format!("the `{kind}` claims_mapping produces"),
                attributes: m.values().cloned().collect(),
            };
        match provider {
            ProviderConfig::Custom(_) | ProviderConfig::UpstreamHeader(_) => Produced::Any,
            ProviderConfig::ApiKeys(c) => Produced::Known {
                source: "the `api_keys` keys carry".to_owned(),
                attributes: c
                    .keys
                    .iter()
                    .flat_map(|k| k.attributes.keys().cloned())
                    .collect(),
            },
            ProviderConfig::OAuth2Token(c) => mapping("oauth2_token", &c.claims_mapping),
            ProviderConfig::GithubToken(c) => mapping("github_token", &c.claims_mapping),
            ProviderConfig::Kubernetes(c) => mapping("kubernetes", &c.claims_mapping),
        }
    }
}

/// Lints the config's policies against its own provider.
pub fn lint(config: &Config) -> Vec<Warning> {
    lint_with(config, &Produced::of(config))
}

/// Lints the config's policies against what `produced` says the provider gives.
pub fn lint_with(config: &Config, produced: &Produced) -> Vec<Warning> {
    match &config.server.auth {
        Some(auth) => lint_policies(&auth.access_policy, &auth.route_policy, produced),
        None => Vec::new(),
    }
}

/// Lints policies as configured (llama-stack's YAML shape, as values). A
/// policy that does not compile is skipped: loading reports it.
pub fn lint_policies(access: &[Value], route: &[Value], produced: &Produced) -> Vec<Warning> {
    match (
        AccessPolicy::from_values(access),
        RoutePolicy::from_values(route),
    ) {
        (Ok(a), Ok(r)) => lint_compiled(access, &a, route, &r, produced),
        _ => Vec::new(),
    }
}

/// Lints compiled policies; `access` and `route` are the rules as configured
/// (the lint reads what compiling drops, such as an empty `when: []`).
pub fn lint_compiled(
    access: &[Value],
    access_policy: &AccessPolicy,
    route: &[Value],
    route_policy: &RoutePolicy,
    produced: &Produced,
) -> Vec<Warning> {
    let mut out = Vec::new();
    if !access.is_empty() {
        lint_access(access, access_policy, produced, &mut out);
    }
    lint_route(route, route_policy, produced, &mut out);
    out
}

fn lint_access(raw: &[Value], policy: &AccessPolicy, produced: &Produced, out: &mut Vec<Warning>) {
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

fn lint_route(raw: &[Value], policy: &RoutePolicy, produced: &Produced, out: &mut Vec<Warning>) {
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

/// `when: []`, `when: ""`, `when:` (and `unless`) as written: no condition.
fn empty_conditions(
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
fn unknown_attributes(conditions: &Conditions, produced: &Produced, mut push: impl FnMut(String)) {
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

/// Whether `earlier` applies to every case `later` applies to.
fn access_covers(earlier: &AccessRule, later: &AccessRule) -> bool {
    earlier
        .principal
        .as_ref()
        .is_none_or(|p| later.principal.as_ref() == Some(p))
        && later.actions().all(|a| earlier.covers(a))
        && resource_covers(&earlier.resource, &later.resource)
        && implies(&earlier.conditions, &later.conditions, false)
}

fn route_covers(earlier: &RouteRule, later: &RouteRule) -> bool {
    later
        .paths
        .iter()
        .all(|l| earlier.paths.iter().any(|e| path_covers(e, l)))
        && implies(&earlier.conditions, &later.conditions, true)
}

/// Whenever `later`'s conditions hold, `earlier`'s hold too.
fn implies(earlier: &Conditions, later: &Conditions, route: bool) -> bool {
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

/// Every resource `later` matches, `earlier` matches.
fn resource_covers(earlier: &ResourcePattern, later: &ResourcePattern) -> bool {
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

/// Every path `later` matches, `earlier` matches.
fn path_covers(earlier: &PathPattern, later: &PathPattern) -> bool {
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

/// Permits every action on every resource to everyone, unconditionally.
fn is_catch_all_permit(rule: &AccessRule) -> bool {
    rule.permit
        && rule.conditions == Conditions::Always
        && rule.principal.is_none()
        && matches!(rule.resource, ResourcePattern::Any)
        && Action::ALL.iter().all(|a| rule.covers(*a))
}

/// Permits every path to every caller, unconditionally.
fn is_catch_all_route(rule: &RouteRule) -> bool {
    rule.permit
        && rule.conditions == Conditions::Always
        && rule.paths.iter().any(|p| matches!(p, PathPattern::All))
}

/// Conditions that need an owner to hold.
fn needs_owner(c: &Condition) -> bool {
    matches!(c, Condition::UserIsOwner | Condition::UserInOwners { .. })
}

fn summary(permit: bool, conditions: &Conditions) -> String {
    let verb = if permit { "permit" } else { "forbid" };
    match conditions {
        Conditions::Always => format!("an unconditional {verb}"),
        Conditions::When(l) => format!("a {verb} when {}", join(l)),
        Conditions::Unless(l) => format!("a {verb} unless {}", join(l)),
    }
}

fn join(conditions: &[Condition]) -> String {
    conditions
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn path_source(path: &PathPattern) -> String {
    match path {
        PathPattern::All => "*".to_owned(),
        PathPattern::Regex { source, .. } => source.clone(),
        PathPattern::Prefix(p) => format!("{p}*"),
        PathPattern::Exact(p) => p.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(yaml: &str) -> Config {
        Config::parse(yaml, "test.yaml", &|_| None).unwrap()
    }

    /// A config with an `api_keys` provider whose keys carry `roles` and `teams`.
    fn with_keys(policies: &str) -> Config {
        config(&format!(
            "server:\n  auth:\n    provider_config:\n      type: api_keys\n      keys:\n        \
             - {{key: k1, principal: alice, attributes: {{roles: [admin], teams: [ml]}}}}\n        \
             - {{key: k2, principal: bob}}\n{policies}"
        ))
    }

    fn kinds(warnings: &[Warning]) -> Vec<(&'static str, usize, LintKind)> {
        warnings
            .iter()
            .map(|w| (w.policy, w.rule, w.kind))
            .collect()
    }

    fn access(rules: &str) -> Vec<Warning> {
        lint(&with_keys(&format!("    access_policy:\n{rules}")))
    }

    fn route(rules: &str) -> Vec<Warning> {
        lint(&with_keys(&format!("    route_policy:\n{rules}")))
    }

    #[test]
    fn a_clean_policy_has_no_warnings() {
        let w = lint(&with_keys(
            "    access_policy:\n\
             \x20     - permit: {actions: [read], resource: 'model::*'}\n\
             \x20       when: user with admin in roles\n\
             \x20     - permit: {actions: [create, read]}\n\
             \x20       when: user in owners teams\n\
             \x20     - forbid: {actions: [delete]}\n\
             \x20   route_policy:\n\
             \x20     - permit: {paths: [/v1/health, '/v1/models*']}\n",
        ));
        // `user in owners teams` on create is a footgun; nothing else is.
        assert_eq!(
            kinds(&w),
            [("access_policy", 1, LintKind::NoOwner)],
            "{w:?}"
        );
        assert!(lint(&config("")).is_empty());
        assert!(lint(&config("server: {port: 1}")).is_empty());
    }

    #[test]
    fn an_unconditional_earlier_rule_shadows() {
        // Any resource, all actions of the later rule.
        let w = access(
            "      - permit: {actions: [read, update]}\n\
             \x20     - forbid: {actions: [read], resource: 'model::m1'}\n",
        );
        assert_eq!(kinds(&w), [("access_policy", 1, LintKind::Shadowed)]);
        assert!(w[0].message.contains("rule 0"), "{}", w[0]);
        assert_eq!(w[0].path(), "server.auth.access_policy[1]");
        assert!(
            w[0].to_string()
                .starts_with("server.auth.access_policy[1]: shadowed")
        );
        // Same exact pattern; a `type::*` prefix over an exact or a longer prefix.
        for (earlier, later) in [
            ("'model::m1'", "'model::m1'"),
            ("'model::*'", "'model::m1'"),
            ("'model::*'", "'model::m1::*'"),
            ("'regex:model::m\\d'", "'model::m1'"),
            ("'regex:m.*'", "'regex:m.*'"),
        ] {
            let w = access(&format!(
                "      - forbid: {{actions: [read, delete], resource: {earlier}}}\n\
                 \x20     - permit: {{actions: [delete], resource: {later}}}\n"
            ));
            assert_eq!(
                kinds(&w),
                [("access_policy", 1, LintKind::Shadowed)],
                "{earlier} {later}"
            );
        }
        // Not covered: fewer actions, a narrower resource, a principal, conditions.
        for (earlier, later) in [
            ("{actions: [read]}", "{actions: [read, delete]}"),
            (
                "{actions: [read], resource: 'model::m1'}",
                "{actions: [read]}",
            ),
            (
                "{actions: [read], resource: 'model::m1'}",
                "{actions: [read], resource: 'model::m2'}",
            ),
            (
                "{actions: [read], resource: 'model::*'}",
                "{actions: [read], resource: 'vector_db::v'}",
            ),
            (
                "{actions: [read], resource: 'model::m1'}",
                "{actions: [read], resource: 'model::*'}",
            ),
            ("{actions: [read], principal: alice}", "{actions: [read]}"),
            (
                "{actions: [read], resource: 'regex:m.*'}",
                "{actions: [read], resource: 'regex:m'}",
            ),
        ] {
            let w = access(&format!(
                "      - forbid: {earlier}\n\
                 \x20     - permit: {later}\n"
            ));
            assert!(w.is_empty(), "{earlier} / {later}: {w:?}");
        }
        let w = access(
            "      - forbid: {actions: [read]}\n\
             \x20       when: user with admin in roles\n\
             \x20     - permit: {actions: [read]}\n",
        );
        assert!(
            w.is_empty(),
            "a conditional rule shadows nothing unconditional: {w:?}"
        );
    }

    #[test]
    fn shadowing_follows_principals_and_implied_conditions() {
        let w = access(
            "      - permit: {actions: [read], principal: alice}\n\
             \x20     - forbid: {actions: [read], principal: alice, resource: 'model::m'}\n",
        );
        assert_eq!(kinds(&w), [("access_policy", 1, LintKind::Shadowed)]);
        let w = access(
            "      - permit: {actions: [read]}\n\
             \x20       when: user with admin in roles\n\
             \x20     - forbid: {actions: [read]}\n\
             \x20       when: [user with admin in roles, user with ml in teams]\n",
        );
        assert_eq!(kinds(&w), [("access_policy", 1, LintKind::Shadowed)]);
        // Resources read `unless` as AND: a superset of conditions is weaker.
        let w = access(
            "      - permit: {actions: [read]}\n\
             \x20       unless: [user with admin in roles, user with ml in teams]\n\
             \x20     - forbid: {actions: [read]}\n\
             \x20       unless: user with admin in roles\n",
        );
        assert_eq!(
            kinds(&w)[1],
            ("access_policy", 1, LintKind::Shadowed),
            "{w:?}"
        );
        let w = access(
            "      - permit: {actions: [read]}\n\
             \x20       unless: user with admin in roles\n\
             \x20     - forbid: {actions: [read]}\n\
             \x20       unless: [user with admin in roles, user with ml in teams]\n",
        );
        assert!(
            !kinds(&w).contains(&("access_policy", 1, LintKind::Shadowed)),
            "{w:?}"
        );
    }

    #[test]
    fn route_rules_shadow_by_paths() {
        for (earlier, later) in [
            ("'*'", "/v1/models"),
            ("'/v1/*'", "/v1/models"),
            ("'/v1/*'", "'/v1/models*'"),
            ("/v1/models", "/v1/models"),
            ("'regex:/v1/(models|files)$'", "/v1/files"),
            ("[/v1/a, /v1/b]", "[/v1/b, /v1/a]"),
        ] {
            let w = route(&format!(
                "      - forbid: {{paths: {earlier}}}\n\
                 \x20     - permit: {{paths: {later}}}\n"
            ));
            assert_eq!(
                kinds(&w),
                [("route_policy", 1, LintKind::Shadowed)],
                "{earlier} {later}"
            );
        }
        for (earlier, later) in [
            ("/v1/models", "'/v1/models*'"),
            ("'/v1/models*'", "'/v1/*'"),
            ("[/v1/a]", "[/v1/a, /v1/b]"),
            ("'regex:/v1/models$'", "/v1/files"),
        ] {
            let w = route(&format!(
                "      - forbid: {{paths: {earlier}}}\n\
                 \x20     - permit: {{paths: {later}}}\n"
            ));
            assert!(w.is_empty(), "{earlier} / {later}: {w:?}");
        }
    }

    #[test]
    fn a_forbid_after_a_catch_all_permit() {
        let w = access(
            "      - permit: {actions: [create, read, update, delete]}\n\
             \x20     - forbid: {actions: [delete], resource: 'model::*'}\n\
             \x20       when: user with admin in roles\n\
             \x20     - permit: {actions: [read]}\n",
        );
        assert_eq!(
            kinds(&w),
            [
                ("access_policy", 1, LintKind::ForbidAfterCatchAll),
                ("access_policy", 2, LintKind::Shadowed),
            ]
        );
        assert!(w[0].message.contains("catch-all") && w[0].message.contains("rule 0"));
        let w = route(
            "      - permit: {paths: '*'}\n\
             \x20     - forbid: {paths: /v1/admin}\n",
        );
        assert_eq!(
            kinds(&w),
            [("route_policy", 1, LintKind::ForbidAfterCatchAll)]
        );
        // A permit of only some actions is no catch-all.
        let w = access(
            "      - permit: {actions: [read, update, delete]}\n\
             \x20     - forbid: {actions: [create]}\n",
        );
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn attributes_the_provider_never_produces() {
        let w = access(
            "      - permit: {actions: [read]}\n\
             \x20       when: [user with admin in roles, user with x in scopes]\n\
             \x20     - permit: {actions: [read]}\n\
             \x20       when: user not in owners projects\n",
        );
        assert_eq!(
            kinds(&w),
            [
                ("access_policy", 0, LintKind::UnknownAttribute),
                ("access_policy", 1, LintKind::UnknownAttribute),
            ]
        );
        assert!(w[0].message.contains("`scopes`") && w[0].message.contains("never holds"));
        assert!(w[0].message.contains("roles, teams"), "{}", w[0]);
        assert!(w[1].message.contains("always holds"), "{}", w[1]);
        let w = route(
            "      - permit: {paths: '*'}\n\
             \x20       when: user with x in scopes\n",
        );
        assert!(kinds(&w).contains(&("route_policy", 0, LintKind::UnknownAttribute)));

        // Claims mappings: their values, the defaults when not configured.
        let policy = "  access_policy:\n\
                      \x20   - permit: {actions: [read]}\n\
                      \x20     when: [user with a in teams, user with b in scopes]\n";
        let oauth = config(&format!(
            "server:\n  auth:\n    provider_config:\n      type: oauth2_token\n      \
             jwks: {{uri: 'https://idp.example/jwks'}}\n  {policy}"
        ));
        let w = lint(&oauth);
        assert_eq!(
            kinds(&w),
            [("access_policy", 0, LintKind::UnknownAttribute)],
            "{w:?}"
        );
        assert!(w[0].message.contains("`scopes`") && w[0].message.contains("oauth2_token"));
        let mapped = config(&format!(
            "server:\n  auth:\n    provider_config:\n      type: oauth2_token\n      \
             jwks: {{uri: 'https://idp.example/jwks'}}\n      \
             claims_mapping: {{scope: scopes, groups: teams}}\n  {policy}"
        ));
        assert!(lint(&mapped).is_empty());
        let github = config(&format!(
            "server:\n  auth:\n    provider_config: {{type: github_token}}\n  {policy}"
        ));
        assert_eq!(kinds(&lint(&github)).len(), 1, "github: teams, not scopes");
        let k8s = config(&format!(
            "server:\n  auth:\n    provider_config: {{type: kubernetes}}\n  {policy}"
        ));
        assert_eq!(kinds(&lint(&k8s)).len(), 2, "kubernetes: roles only");

        // Providers with arbitrary attributes: nothing to say.
        for provider in [
            "{type: custom, endpoint: 'http://127.0.0.1:9/auth'}",
            "{type: upstream_header, principal_header: x-user}",
        ] {
            let c = config(&format!(
                "server:\n  auth:\n    provider_config: {provider}\n  {policy}"
            ));
            assert!(lint(&c).is_empty(), "{provider}");
        }
        // A provider set in code: any attribute.
        assert!(lint_with(&oauth, &Produced::Any).is_empty());
    }

    #[test]
    fn authentication_off() {
        let c = config(
            "server:\n  auth:\n    access_policy:\n      - permit: {actions: [read]}\n    \
             route_policy:\n      - permit: {paths: '*'}\n        when: user with a in roles\n",
        );
        let w = lint(&c);
        assert_eq!(
            kinds(&w),
            [
                ("access_policy", 0, LintKind::AuthenticationOff),
                ("route_policy", 0, LintKind::Anonymous),
            ]
        );
        assert!(w[1].message.contains("authentication is off"));
        // The default access policy is not linted.
        assert!(lint(&config("server:\n  auth:\n    access_policy: []\n")).is_empty());
    }

    #[test]
    fn empty_when_and_unless_are_no_condition() {
        for empty in ["[]", "''", "null"] {
            let w = access(&format!(
                "      - permit: {{actions: [read], resource: 'model::secret'}}\n\
                 \x20       when: {empty}\n"
            ));
            assert_eq!(
                kinds(&w),
                [("access_policy", 0, LintKind::EmptyCondition)],
                "{empty}"
            );
            assert!(w[0].message.contains("applies to every caller"), "{}", w[0]);
            let w = route(&format!(
                "      - permit: {{paths: /v1/admin}}\n\
                 \x20       unless: {empty}\n"
            ));
            assert_eq!(
                kinds(&w),
                [("route_policy", 0, LintKind::EmptyCondition)],
                "{empty}"
            );
        }
        let w = access(
            "      - permit: {actions: [read]}\n\
             \x20       when: []\n\
             \x20       unless: user with admin in roles\n",
        );
        assert_eq!(kinds(&w), [("access_policy", 0, LintKind::EmptyCondition)]);
        assert!(w[0].message.contains("ignored"));
    }

    #[test]
    fn conditional_route_rules_never_match_anonymous_callers() {
        let w = route(
            "      - forbid: {paths: '/v1/admin*'}\n\
             \x20       unless: user with admin in roles\n\
             \x20     - permit: {paths: '*'}\n\
             \x20       when: user with ml in teams\n\
             \x20     - permit: {paths: /v1/health}\n",
        );
        assert_eq!(
            kinds(&w),
            [
                ("route_policy", 0, LintKind::Anonymous),
                ("route_policy", 1, LintKind::Anonymous),
            ]
        );
        assert!(w[0].message.contains("NOT forbidden"), "{}", w[0]);
        assert!(w[1].message.contains("anonymous"), "{}", w[1]);
    }

    #[test]
    fn unless_lists_read_differently() {
        let w = access(
            "      - forbid: {actions: [read]}\n\
             \x20       unless: [user with admin in roles, user with ml in teams]\n\
             \x20     - forbid: {actions: [delete]}\n\
             \x20       unless: [user with admin in roles]\n",
        );
        assert_eq!(kinds(&w), [("access_policy", 0, LintKind::UnlessList)]);
        assert!(w[0].message.contains("ALL"));
        let w = route(
            "      - forbid: {paths: '*'}\n\
             \x20       unless: [user with admin in roles, user with ml in teams]\n",
        );
        assert_eq!(
            kinds(&w),
            [
                ("route_policy", 0, LintKind::Anonymous),
                ("route_policy", 0, LintKind::UnlessList),
            ]
        );
        assert!(w[1].message.contains("ANY"));
    }

    #[test]
    fn literal_resource_patterns() {
        for (pattern, needle) in [
            ("'model::m*'", "literally"),
            ("'*'", "matches nothing"),
            ("model", "matches nothing"),
            ("'model:*'", "literally"),
        ] {
            let w = access(&format!(
                "      - permit: {{actions: [read], resource: {pattern}}}\n"
            ));
            assert_eq!(
                kinds(&w),
                [("access_policy", 0, LintKind::Pattern)],
                "{pattern}"
            );
            assert!(w[0].message.contains(needle), "{}", w[0]);
        }
        for fine in ["'model::*'", "'model::m1'", "'regex:model::m.*'"] {
            let w = access(&format!(
                "      - permit: {{actions: [read], resource: {fine}}}\n"
            ));
            assert!(w.is_empty(), "{fine}: {w:?}");
        }
    }

    #[test]
    fn path_patterns_that_cannot_be_meant() {
        let w = route(
            "      - permit: {paths: ['/v1/*/models', '/v1/models/', /, '/v1/*', '/v1/a*b']}\n",
        );
        assert_eq!(
            kinds(&w),
            [
                ("route_policy", 0, LintKind::Pattern),
                ("route_policy", 0, LintKind::Pattern),
                ("route_policy", 0, LintKind::Pattern),
            ],
            "{w:?}"
        );
        assert!(w[0].message.contains("/v1/*/models"));
        assert!(w[1].message.contains("never matches"));
        assert!(w[2].message.contains("/v1/a*b"));
    }

    #[test]
    fn owner_conditions_where_there_is_no_owner() {
        let w = access(
            "      - permit: {actions: [create, read]}\n\
             \x20       when: user is owner\n\
             \x20     - permit: {actions: [read, update]}\n\
             \x20       when: user is owner\n\
             \x20     - forbid: {actions: [create, delete]}\n\
             \x20       unless: user is owner\n",
        );
        assert_eq!(
            kinds(&w),
            [
                ("access_policy", 0, LintKind::NoOwner),
                ("access_policy", 2, LintKind::NoOwner),
            ]
        );
        assert!(w[0].message.contains("never permits a create"), "{}", w[0]);
        assert!(w[1].message.contains("forbids every create"), "{}", w[1]);
        let w = route(
            "      - permit: {paths: '*'}\n\
             \x20       when: user is owner\n",
        );
        assert!(
            kinds(&w).contains(&("route_policy", 0, LintKind::NoOwner)),
            "{w:?}"
        );
    }

    #[test]
    fn invalid_policies_are_left_to_loading() {
        let raw: Vec<Value> = serde_saphyr::from_str("[{permit: {actions: [fly]}}]").unwrap();
        assert!(lint_policies(&raw, &raw, &Produced::Any).is_empty());
    }
}
