//! The resource access policy (`server.auth.access_policy`): ordered
//! permit/forbid rules, first match decides, no match denies, an empty list
//! means llama-stack's default policy, no user means authentication is off.
//! Evaluation parses nothing and allocates nothing (a `regex:` rule reuses a
//! thread-local buffer to join `type::identifier`).

use std::cell::RefCell;

use serde_json::Value;

use super::condition::Condition;
use super::decision::{Basis, Decision};
use super::error::{PolicyError, RuleError};
use super::pattern::{PyRegex, RegexBudget};
use super::resource::ProtectedResource;
use super::rules::{self, Action, Conditions, RawScope};
use crate::Errors;
use crate::principal::User;

/// A compiled access policy.
#[derive(Debug, Clone)]
pub struct AccessPolicy {
    rules: Vec<AccessRule>,
    /// True when the configured list was empty and `rules` is the default policy.
    default: bool,
}

/// One compiled rule.
#[derive(Debug, Clone)]
pub struct AccessRule {
    /// `permit` (true) or `forbid` (false): what the rule decides when it applies.
    pub permit: bool,
    /// Bit set of [`Action::bit`].
    actions: u8,
    /// `principal:` of the rule: it applies only to this principal (`None`:
    /// any; an empty string counts as absent).
    pub principal: Option<String>,
    /// `resource:` of the rule: the resources it applies to.
    pub resource: ResourcePattern,
    /// `when` / `unless` of the rule.
    pub conditions: Conditions,
    /// The rule's `description` (or, misplaced, its scope's), for
    /// explanations and the decision log.
    pub description: Option<String>,
}

/// `resource:` of a rule.
#[derive(Debug, Clone)]
pub enum ResourcePattern {
    /// No `resource` (or an empty one): every resource.
    Any,
    /// `type::id` (or any other string): exact.
    Exact(String),
    /// `type::*`: a plain prefix, `type::` included.
    Prefix(String),
    /// `regex:<pattern>`: Python's `re.match` on `type::id` (an exact match
    /// of the whole written pattern also counts).
    Regex {
        /// The pattern as written, `regex:` included.
        source: String,
        /// The compiled pattern, without `regex:`.
        regex: PyRegex,
    },
}

thread_local! {
    static QUALIFIED: RefCell<String> = const { RefCell::new(String::new()) };
}

impl ResourcePattern {
    fn compile(
        pattern: Option<&str>,
        budget: &mut RegexBudget,
    ) -> Result<ResourcePattern, RuleError> {
        Ok(match pattern {
            None | Some("") => ResourcePattern::Any,
            Some(p) if p.starts_with("regex:") => ResourcePattern::Regex {
                source: p.to_owned(),
                regex: PyRegex::within(&p["regex:".len()..], budget)?,
            },
            Some(p) if p.ends_with("::*") => ResourcePattern::Prefix(p[..p.len() - 1].to_owned()),
            Some(p) => ResourcePattern::Exact(p.to_owned()),
        })
    }

    /// Whether `kind::identifier` matches, in llama-stack's order: equality,
    /// then `regex:`, then a `::*` prefix.
    pub fn matches(&self, kind: &str, identifier: &str) -> bool {
        match self {
            ResourcePattern::Any => true,
            ResourcePattern::Exact(p) => equals_qualified(p, kind, identifier),
            // Equality with `type::*` implies the prefix matches: one test suffices.
            ResourcePattern::Prefix(prefix) => qualified_starts_with(prefix, kind, identifier),
            ResourcePattern::Regex { source, regex } => {
                equals_qualified(source, kind, identifier)
                    || QUALIFIED.with(|buf| {
                        let mut buf = buf.borrow_mut();
                        buf.clear();
                        buf.push_str(kind);
                        buf.push_str("::");
                        buf.push_str(identifier);
                        regex.matches(&buf)
                    })
            }
        }
    }
}

/// `pattern == kind + "::" + identifier`, without joining.
fn equals_qualified(pattern: &str, kind: &str, identifier: &str) -> bool {
    pattern.len() == kind.len() + 2 + identifier.len()
        && pattern.starts_with(kind)
        && pattern[kind.len()..].starts_with("::")
        && pattern.ends_with(identifier)
}

/// `(kind + "::" + identifier).starts_with(prefix)`, without joining.
fn qualified_starts_with(prefix: &str, kind: &str, identifier: &str) -> bool {
    let mut rest = prefix.as_bytes();
    for part in [kind.as_bytes(), b"::", identifier.as_bytes()] {
        if rest.len() <= part.len() {
            return part.starts_with(rest);
        }
        if !rest.starts_with(part) {
            return false;
        }
        rest = &rest[part.len()..];
    }
    rest.is_empty()
}

impl AccessRule {
    fn compile(
        index: usize,
        value: &Value,
        budget: &mut RegexBudget,
    ) -> Result<AccessRule, PolicyError> {
        let checked = rules::check::<RawScope>(index, value)?;
        let field = if checked.permit { "permit" } else { "forbid" };
        let mut actions = 0u8;
        for a in checked.scope.actions.items() {
            let action: Action = a.parse().map_err(|e: RuleError| {
                PolicyError::new(index, format!("{field}.actions"), e.to_string())
            })?;
            actions |= action.bit();
        }
        let resource = ResourcePattern::compile(checked.scope.resource.as_deref(), budget)
            .map_err(|e| PolicyError::new(index, format!("{field}.resource"), e.to_string()))?;
        Ok(AccessRule {
            permit: checked.permit,
            actions,
            principal: checked.scope.principal.filter(|p| !p.is_empty()),
            resource,
            conditions: checked.conditions,
            description: checked.description.or(checked.scope.description),
        })
    }

    /// Whether the rule governs `action`.
    pub fn covers(&self, action: Action) -> bool {
        self.actions & action.bit() != 0
    }

    /// The actions it governs.
    pub fn actions(&self) -> impl Iterator<Item = Action> + '_ {
        Action::ALL.into_iter().filter(|a| self.covers(*a))
    }

    /// Scope and conditions both match: the rule decides.
    fn applies(
        &self,
        action: Action,
        kind: &str,
        identifier: &str,
        owner: Option<&User>,
        user: &User,
    ) -> bool {
        self.covers(action)
            && self
                .principal
                .as_deref()
                .is_none_or(|p| p == user.principal)
            && self.resource.matches(kind, identifier)
            && match &self.conditions {
                Conditions::Always => true,
                Conditions::When(all) => all.iter().all(|c| c.matches(owner, user)),
                // Resource rules: "unless (a AND b)".
                Conditions::Unless(all) => !all.iter().all(|c| c.matches(owner, user)),
            }
    }
}

impl AccessPolicy {
    /// Compiles rules in llama-stack's `access_policy` shape.
    pub fn from_values(rules: &[Value]) -> Result<AccessPolicy, PolicyError> {
        AccessPolicy::compile(rules).map_err(Errors::into_first)
    }

    /// Compiles every rule; `Err` holds the error of each bad rule (never empty).
    pub fn compile(rules: &[Value]) -> Result<AccessPolicy, Errors<PolicyError>> {
        if rules.is_empty() {
            return Ok(AccessPolicy::default_policy());
        }
        let mut budget = RegexBudget::policy();
        let (compiled, errors): (Vec<_>, Vec<_>) = rules
            .iter()
            .enumerate()
            .map(|(i, v)| AccessRule::compile(i, v, &mut budget))
            .partition(Result::is_ok);
        if let Some(errors) = budget.report(errors.into_iter().filter_map(Result::err).collect()) {
            return Err(errors);
        }
        Ok(AccessPolicy {
            rules: compiled.into_iter().filter_map(Result::ok).collect(),
            default: false,
        })
    }

    /// Compiles a YAML list of rules.
    pub fn from_yaml(text: &str) -> Result<AccessPolicy, PolicyError> {
        let rules: Vec<Value> = yaml_list(text)?;
        AccessPolicy::from_values(&rules)
    }

    /// llama-stack's default: permit everything when the user shares a value
    /// with the owner in roles, teams, projects or namespaces, is the owner,
    /// or the resource is unowned.
    pub fn default_policy() -> AccessPolicy {
        let all = Action::ALL.iter().fold(0, |bits, a| bits | a.bit());
        let rule = |condition: Condition| AccessRule {
            permit: true,
            actions: all,
            principal: None,
            resource: ResourcePattern::Any,
            description: Some(condition.to_string()),
            conditions: Conditions::When(vec![condition]),
        };
        let mut rules: Vec<AccessRule> = ["roles", "teams", "projects", "namespaces"]
            .into_iter()
            .map(|a| {
                rule(Condition::UserInOwners {
                    attribute: a.to_owned(),
                })
            })
            .collect();
        rules.push(rule(Condition::UserIsOwner));
        rules.push(rule(Condition::ResourceIsUnowned));
        AccessPolicy {
            rules,
            default: true,
        }
    }

    /// With several providers (`providers`: their names), every rule's
    /// `principal:` must say whose it is: `<provider name>:<principal>`, as
    /// [`User::principal`] is then qualified. The name is what precedes the
    /// first `:` (`k8s:system:serviceaccount:ns:x` names `k8s`). The error
    /// of each rule that does not, listing the names.
    pub fn check_principals(&self, providers: &[&str]) -> Vec<PolicyError> {
        if self.default {
            return Vec::new();
        }
        self.rules
            .iter()
            .enumerate()
            .filter_map(|(index, rule)| {
                let principal = rule.principal.as_deref()?;
                let named = principal
                    .split_once(':')
                    .is_some_and(|(provider, _)| providers.contains(&provider));
                (!named).then(|| {
                    let field = if rule.permit { "permit" } else { "forbid" };
                    let names = providers
                        .iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let example = providers.first().copied().unwrap_or("provider");
                    PolicyError::new(
                        index,
                        format!("{field}.principal"),
                        format!(
                            "`{principal}` does not say which provider's principal it is: with several providers a principal is written `<provider>:<principal>` (as `{example}:{principal}`), the provider one of {names}"
                        ),
                    )
                })
            })
            .collect()
    }

    /// Whether this is the default policy (the configured list was empty).
    pub fn is_default(&self) -> bool {
        self.default
    }

    /// The compiled rules, in order.
    pub fn rules(&self) -> &[AccessRule] {
        &self.rules
    }

    /// Decides `action` on `resource` for `user` (`None`: authentication is off).
    pub fn decide<R: ProtectedResource + ?Sized>(
        &self,
        action: Action,
        resource: &R,
        user: Option<&User>,
    ) -> Decision<'_> {
        let Some(user) = user else {
            return Decision::by(true, Basis::NoUser);
        };
        let (kind, identifier, owner) = (
            resource.resource_type(),
            resource.resource_id(),
            resource.owner(),
        );
        if user.tenant_mismatch(owner) {
            return Decision {
                allowed: false,
                rule: None,
                basis: Basis::TenantMismatch,
                description: Some("tenant scope mismatch"),
            };
        }
        for (index, rule) in self.rules.iter().enumerate() {
            if rule.applies(action, kind, identifier, owner, user) {
                return Decision {
                    allowed: rule.permit,
                    rule: (!self.default).then_some(index),
                    basis: if self.default {
                        Basis::DefaultPolicy
                    } else {
                        Basis::Rule
                    },
                    description: rule.description.as_deref(),
                };
            }
        }
        Decision::by(
            false,
            if self.default {
                Basis::DefaultPolicy
            } else {
                Basis::NoMatchingRule
            },
        )
    }

    /// Whether `action` is allowed.
    pub fn is_allowed<R: ProtectedResource + ?Sized>(
        &self,
        action: Action,
        resource: &R,
        user: Option<&User>,
    ) -> bool {
        self.decide(action, resource, user).allowed
    }
}

impl Default for AccessPolicy {
    fn default() -> Self {
        AccessPolicy::default_policy()
    }
}

/// llama-stack's `is_action_allowed`.
pub fn is_action_allowed<R: ProtectedResource + ?Sized>(
    policy: &AccessPolicy,
    action: Action,
    resource: &R,
    user: Option<&User>,
) -> bool {
    policy.is_allowed(action, resource, user)
}

/// A YAML document that is a list of rules (or empty).
pub(crate) fn yaml_list(text: &str) -> Result<Vec<Value>, PolicyError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let value: Value = serde_saphyr::from_str(text)
        .map_err(|e| PolicyError::new(0, "", format!("not valid YAML: {e}")))?;
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(rules) => Ok(rules),
        _ => Err(PolicyError::new(0, "", "a policy is a list of rules")),
    }
}

/// llama-stack's default policy, the one used when the config has none:
/// compiled once per process and shared.
pub(crate) fn shared_default_policy() -> std::sync::Arc<AccessPolicy> {
    static DEFAULT: std::sync::OnceLock<std::sync::Arc<AccessPolicy>> = std::sync::OnceLock::new();
    DEFAULT
        .get_or_init(|| std::sync::Arc::new(AccessPolicy::default_policy()))
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_several_providers_a_principal_names_its_provider() {
        let policy = AccessPolicy::from_yaml(
            "- permit: {principal: admin, actions: [read]}\n\
             - permit: {principal: 'api_keys:admin', actions: [read]}\n\
             - forbid: {principal: 'staf:alice', actions: [delete]}\n\
             - permit: {principal: 'k8s:system:serviceaccount:ns:x', actions: [read]}\n\
             - permit: {principal: 'system:serviceaccount:ns:x', actions: [read]}\n\
             - permit: {actions: [read]}\n",
        )
        .unwrap();
        let errors = policy.check_principals(&["api_keys", "staff", "k8s"]);
        let paths: Vec<_> = errors
            .iter()
            .map(|e| e.path("server.auth.access_policy"))
            .collect();
        assert_eq!(
            paths,
            [
                "server.auth.access_policy[0].permit.principal",
                "server.auth.access_policy[2].forbid.principal",
                "server.auth.access_policy[4].permit.principal",
            ]
        );
        assert!(
            errors[0].message.contains("`api_keys`, `staff`, `k8s`")
                && errors[0].message.contains("`api_keys:admin`"),
            "{}",
            errors[0].message
        );
        // The default policy names no principal.
        assert!(
            AccessPolicy::default_policy()
                .check_principals(&["a", "b"])
                .is_empty()
        );
    }

    #[test]
    fn a_qualified_rule_matches_only_its_providers_user() {
        let policy =
            AccessPolicy::from_yaml("- permit: {principal: 'keys:admin', actions: [read]}\n")
                .unwrap();
        let unowned = crate::authz::resource::Resource::new("model", "m", None);
        let mut key_admin = User::new("admin", Default::default());
        key_admin.name_provider(&"keys".into(), true);
        let mut jwt_admin = User::new("admin", Default::default());
        jwt_admin.name_provider(&"partners".into(), true);
        assert!(policy.is_allowed(Action::Read, &unowned, Some(&key_admin)));
        assert!(!policy.is_allowed(Action::Read, &unowned, Some(&jwt_admin)));
        // Ownership (`user is owner` of the default policy) likewise.
        let owned = crate::authz::resource::Resource {
            owner: Some(&key_admin),
            ..unowned
        };
        let default = AccessPolicy::default_policy();
        assert!(default.is_allowed(Action::Delete, &owned, Some(&key_admin)));
        assert!(!default.is_allowed(Action::Delete, &owned, Some(&jwt_admin)));
    }

    #[test]
    fn qualified_comparisons_without_joining() {
        assert!(equals_qualified("model::m1", "model", "m1"));
        assert!(!equals_qualified("model::m1", "model", "m2"));
        assert!(!equals_qualified("model:::m1", "model", "m1"));
        assert!(equals_qualified("a::b::c", "a", "b::c"));
        assert!(equals_qualified("a::b::c", "a::b", "c"));
        for (prefix, kind, id, expected) in [
            ("model::", "model", "x", true),
            ("model::", "model", "", true),
            ("model::", "models", "x", false),
            ("mod", "model", "x", true),
            ("model:", "model", "x", true),
            ("model::a", "model", "ab", true),
            ("model::ab", "model", "a", false),
            ("", "model", "a", true),
        ] {
            assert_eq!(
                qualified_starts_with(prefix, kind, id),
                expected,
                "{prefix} / {kind}::{id}"
            );
        }
    }
}
