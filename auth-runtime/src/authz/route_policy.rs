//! The route policy (`server.auth.route_policy`): ordered permit/forbid
//! rules over request paths, first match decides, no match denies once a
//! rule exists, no policy allows everything. Runs in the pipeline after
//! authentication and the scope check (DESIGN.md "Request path").

use std::borrow::Cow;

use axum::extract::Request;
use serde_json::Value;

use super::decision::{Basis, Decision};
use super::error::{PolicyError, RuleError};
use super::pattern::{PyRegex, RegexBudget};
use super::rules::{self, Conditions, RawRouteScope};
use crate::Errors;
use crate::extract::error::ApiError;
use crate::principal::User;
use crate::route::target::Target;

/// A compiled route policy.
#[derive(Debug, Clone, Default)]
pub struct RoutePolicy {
    rules: Vec<RouteRule>,
}

/// One compiled route rule.
#[derive(Debug, Clone)]
pub struct RouteRule {
    /// `permit` (true) or `forbid` (false): what the rule decides when it applies.
    pub permit: bool,
    /// `paths:` of the rule: it applies when any of them matches.
    pub paths: Vec<PathPattern>,
    /// `when` / `unless` of the rule; a rule with conditions never matches
    /// an anonymous caller.
    pub conditions: Conditions,
    /// The rule's `description` (or, misplaced, its scope's), for
    /// explanations and the decision log.
    pub description: Option<String>,
}

/// One entry of `paths:`.
#[derive(Debug, Clone)]
pub enum PathPattern {
    /// `*`
    All,
    /// `regex:P`, Python `re.match`.
    Regex {
        /// The pattern as written, `regex:` included.
        source: String,
        /// The compiled pattern, without `regex:`.
        regex: PyRegex,
    },
    /// `prefix*`: a plain string prefix.
    Prefix(String),
    /// Any other string: the path must equal it.
    Exact(String),
}

impl PathPattern {
    fn compile(pattern: &str, budget: &mut RegexBudget) -> Result<PathPattern, RuleError> {
        Ok(if pattern == "*" {
            PathPattern::All
        } else if let Some(p) = pattern.strip_prefix("regex:") {
            PathPattern::Regex {
                source: pattern.to_owned(),
                regex: PyRegex::within(p, budget)?,
            }
        } else if let Some(prefix) = pattern.strip_suffix('*') {
            PathPattern::Prefix(prefix.to_owned())
        } else {
            PathPattern::Exact(pattern.to_owned())
        })
    }

    /// Whether `path` matches; the policy passes it through [`normalise`] first.
    pub fn matches(&self, path: &str) -> bool {
        match self {
            PathPattern::All => true,
            PathPattern::Regex { regex, .. } => regex.matches(path),
            PathPattern::Prefix(prefix) => path.starts_with(prefix.as_str()),
            PathPattern::Exact(p) => p == path,
        }
    }
}

impl RouteRule {
    fn compile(
        index: usize,
        value: &Value,
        budget: &mut RegexBudget,
    ) -> Result<RouteRule, PolicyError> {
        let checked = rules::check::<RawRouteScope>(index, value)?;
        let field = if checked.permit {
            "permit.paths"
        } else {
            "forbid.paths"
        };
        let scope_description = checked.scope.description.clone();
        let paths = checked
            .scope
            .paths
            .items()
            .into_iter()
            .map(|p| {
                PathPattern::compile(p, budget)
                    .map_err(|e| PolicyError::new(index, field, e.to_string()))
            })
            .collect::<Result<_, _>>()?;
        Ok(RouteRule {
            permit: checked.permit,
            paths,
            conditions: checked.conditions,
            description: checked.description.or(scope_description),
        })
    }

    fn applies(&self, path: &str, user: Option<&User>) -> bool {
        if !self.paths.iter().any(|p| p.matches(path)) {
            return false;
        }
        match (&self.conditions, user) {
            (Conditions::Always, _) => true,
            // A conditional rule never matches an anonymous caller.
            (_, None) => false,
            // Routes see a resource with no owner.
            (Conditions::When(all), Some(user)) => all.iter().all(|c| c.matches(None, user)),
            // Route rules: "unless (a OR b)".
            (Conditions::Unless(any), Some(user)) => !any.iter().any(|c| c.matches(None, user)),
        }
    }
}

impl RoutePolicy {
    /// Compiles rules in llama-stack's `route_policy` shape.
    pub fn from_values(rules: &[Value]) -> Result<RoutePolicy, PolicyError> {
        RoutePolicy::compile(rules).map_err(Errors::into_first)
    }

    /// Compiles every rule; `Err` holds the error of each bad rule (never empty).
    pub fn compile(rules: &[Value]) -> Result<RoutePolicy, Errors<PolicyError>> {
        let mut budget = RegexBudget::policy();
        let (compiled, errors): (Vec<_>, Vec<_>) = rules
            .iter()
            .enumerate()
            .map(|(i, v)| RouteRule::compile(i, v, &mut budget))
            .partition(Result::is_ok);
        if let Some(errors) = budget.report(errors.into_iter().filter_map(Result::err).collect()) {
            return Err(errors);
        }
        Ok(RoutePolicy {
            rules: compiled.into_iter().filter_map(Result::ok).collect(),
        })
    }

    /// Compiles a YAML list of rules.
    pub fn from_yaml(text: &str) -> Result<RoutePolicy, PolicyError> {
        RoutePolicy::from_values(&super::resource_policy::yaml_list(text)?)
    }

    /// Whether it has no rule (then every route is allowed).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The compiled rules, in order.
    pub fn rules(&self) -> &[RouteRule] {
        &self.rules
    }

    /// The decision for `path` when no caller can change it: the first rule
    /// whose paths match has no condition, or no rule matches. `None` when a
    /// conditional rule matches the path first (then the caller decides).
    /// The router asks this once per fixed-path route.
    pub fn decide_for_any_caller(&self, path: &str) -> Option<Decision<'_>> {
        if self.rules.is_empty() {
            return Some(Decision::by(true, Basis::NoPolicy));
        }
        let path = normalise(path);
        for (index, rule) in self.rules.iter().enumerate() {
            if rule.paths.iter().any(|p| p.matches(path)) {
                return (rule.conditions == Conditions::Always).then_some(Decision {
                    allowed: rule.permit,
                    rule: Some(index),
                    basis: Basis::Rule,
                    description: rule.description.as_deref(),
                });
            }
        }
        Some(Decision::by(false, Basis::NoMatchingRule))
    }

    /// Decides a request for `path` (percent-decoded) by `user` (`None`: an
    /// anonymous caller). Every trailing `/` is ignored, except in `/` itself.
    pub fn decide(&self, path: &str, user: Option<&User>) -> Decision<'_> {
        if self.rules.is_empty() {
            return Decision::by(true, Basis::NoPolicy);
        }
        let path = normalise(path);
        for (index, rule) in self.rules.iter().enumerate() {
            if rule.applies(path, user) {
                return Decision {
                    allowed: rule.permit,
                    rule: Some(index),
                    basis: Basis::Rule,
                    description: rule.description.as_deref(),
                };
            }
        }
        Decision::by(false, Basis::NoMatchingRule)
    }
}

/// `/` stays; otherwise every trailing `/` goes (`//` becomes empty).
pub(super) fn normalise(path: &str) -> &str {
    if path == "/" {
        path
    } else {
        path.trim_end_matches('/')
    }
}

impl RoutePolicy {
    /// The route policy as a step of the pipeline: 403 when it denies `user`
    /// the request's path (percent-decoded).
    pub(crate) fn check(
        &self,
        target: Target,
        request: &Request,
        user: Option<&User>,
        telemetry: &crate::telemetry::Telemetry,
    ) -> Result<(), ApiError> {
        let raw = request.uri().path();
        let path: Cow<'_, str> = if raw.contains('%') {
            percent_encoding::percent_decode_str(raw).decode_utf8_lossy()
        } else {
            Cow::Borrowed(raw)
        };
        let decision = self.decide(&path, user);
        if let Some(metrics) = telemetry.metrics() {
            metrics.policy("route", decision.allowed);
        }
        if let Some(log) = telemetry.decisions() {
            decision.log(
                log,
                crate::telemetry::decision_log::Entry::about("route_policy", target, request, user),
            );
        }
        if decision.allowed {
            tracing::debug!(
                target: "webmethod::auth",
                principal = user.map_or("", |u| u.principal.as_str()),
                route = target.route_name(),
                outcome = "route allowed",
                rule = decision.rule,
                reason = ?decision.to_string(),
            );
            return Ok(());
        }
        tracing::info!(
            target: "webmethod::auth",
            request_id = crate::serve::request_id::of(request),
            principal = user.map_or("", |u| u.principal.as_str()),
            route = target.route_name(),
            outcome = "forbidden",
            rule = decision.rule,
            reason = ?decision.to_string(),
        );
        Err(forbidden(normalise(&path)))
    }
}

/// The route policy's 403.
fn forbidden(path: &str) -> ApiError {
    ApiError::forbidden(format!(
        "Access denied: insufficient permissions for route {path}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_decision_known_for_any_caller_is_the_one_every_caller_gets() {
        let policy = RoutePolicy::from_yaml(
            "- permit: {paths: [/v1/health]}\n\
             - forbid: {paths: /v1/files*}\n  unless: user with admin in roles\n\
             - permit: {paths: /v1/team}\n  when: user with ml in teams\n\
             - forbid: {paths: /v1/old}\n\
             - permit: {paths: '/v1/*'}\n",
        )
        .unwrap();
        let admin = User::new("a", [("roles".to_owned(), vec!["admin".to_owned()])].into());
        let ml = User::new("m", [("teams".to_owned(), vec!["ml".to_owned()])].into());
        let plain = User::new("p", Default::default());
        let callers = [None, Some(&admin), Some(&ml), Some(&plain)];
        let cases = [
            ("/v1/health", Some((true, Some(0)))),
            ("/v1/files/x", None),
            ("/v1/team", None),
            ("/v1/old", Some((false, Some(3)))),
            ("/v1/whoami", Some((true, Some(4)))),
            ("/v2/x", Some((false, None))),
        ];
        for (path, known) in cases {
            let got = policy
                .decide_for_any_caller(path)
                .map(|d| (d.allowed, d.rule));
            assert_eq!(got, known, "{path}");
            if let Some(known) = known {
                for user in callers {
                    let d = policy.decide(path, user);
                    assert_eq!((d.allowed, d.rule), known, "{path} {user:?}");
                }
            }
        }
        let none = RoutePolicy::default();
        assert!(none.decide_for_any_caller("/x").is_some_and(|d| d.allowed));
    }
}
