//! A decision and why it was taken.

use std::fmt;

/// What decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Basis {
    /// The rule at [`Decision::rule`] matched first.
    Rule,
    /// Rules exist and none matched: denied.
    NoMatchingRule,
    /// The access policy is empty: llama-stack's default policy decided.
    DefaultPolicy,
    /// No user: authentication is off (resources) and everything is allowed.
    NoUser,
    /// No route policy is configured: every route is allowed.
    NoPolicy,
    /// No user while authentication is on (a public route, an anonymous
    /// caller): no rule permits an anonymous caller.
    Anonymous,
    /// The resource's owner and the user are in different tenants: denied
    /// before any rule ("tenant scope mismatch", DESIGN.md "Tenancy").
    TenantMismatch,
}

/// The outcome of a policy, explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decision<'p> {
    /// Whether the action or request is allowed.
    pub allowed: bool,
    /// Index of the deciding rule in the configured list.
    pub rule: Option<usize>,
    /// What decided: a rule, no rule, the default policy, ...
    pub basis: Basis,
    /// The deciding rule's `description` (or, for the default policy, its rule).
    pub description: Option<&'p str>,
}

impl Decision<'_> {
    pub(crate) fn by(allowed: bool, basis: Basis) -> Self {
        Decision {
            allowed,
            rule: None,
            basis,
            description: None,
        }
    }

    /// Writes this decision to `log`: `entry` says about which request,
    /// this decision fills in the rule, outcome and reason.
    pub(crate) fn log(
        &self,
        log: &crate::telemetry::decision_log::DecisionLog,
        entry: crate::telemetry::decision_log::Entry<'_>,
    ) {
        let reason = self.reason();
        log.record(&crate::telemetry::decision_log::Entry {
            rule: self.rule,
            description: self.description,
            outcome: if self.allowed { "allowed" } else { "denied" },
            reason: &reason,
            ..entry
        });
    }

    /// A sentence saying what decided.
    pub fn reason(&self) -> String {
        let verdict = if self.allowed { "allowed" } else { "denied" };
        match (self.basis, self.rule, self.description) {
            (Basis::Rule, Some(i), Some(d)) => format!("{verdict} by rule {i}: {d}"),
            (Basis::Rule, Some(i), None) => format!("{verdict} by rule {i}"),
            (Basis::Rule, None, _) => verdict.to_owned(),
            (Basis::NoMatchingRule, _, _) => "denied: no matching rule".to_owned(),
            (Basis::DefaultPolicy, _, Some(d)) => format!("{verdict} by the default policy: {d}"),
            (Basis::DefaultPolicy, _, None) => {
                format!("{verdict} by the default policy: no rule matched")
            }
            (Basis::NoUser, _, _) => "allowed: no user (authentication is off)".to_owned(),
            (Basis::NoPolicy, _, _) => "allowed: no route policy".to_owned(),
            (Basis::Anonymous, _, _) => {
                "denied: anonymous caller (authentication is on)".to_owned()
            }
            (Basis::TenantMismatch, _, _) => "denied: tenant scope mismatch".to_owned(),
        }
    }
}

impl fmt::Display for Decision<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason())
    }
}
