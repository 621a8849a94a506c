//! Property tests: the compiled policies against a line-by-line
//! interpreter of llama-stack's Python (main at d1b6632), run over the same
//! rule data (`serde_json::Value`, as pydantic would receive it).
//!
//! - `is_action_allowed` / `matches_scope` / `matches_resource` /
//!   `default_policy` from `src/ogx/core/access_control/access_control.py`,
//!   the conditions from `conditions.py`;
//! - `RouteAuthorizationMiddleware.__call__` (trailing slashes) and
//!   `_is_route_allowed` / `_rule_matches` / `_route_matches` /
//!   `_evaluate_conditions` from `src/ogx/core/server/auth.py`.
//!
//! The `regex:` patterns are drawn from a fixed list; the interpreter
//! matches each with a hand-written equivalent of Python's `re.match`
//! (anchored at the start, `$` also before one final newline), so it shares
//! no regex code with the engine.

use auth_runtime::authz::{AccessPolicy, Action, Basis, Resource, RoutePolicy};
use auth_runtime::{Attributes, User};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use serde_json::{Map, Value, json};

// ---------------------------------------------------------------------------
// Python semantics
// ---------------------------------------------------------------------------

/// Python truthiness of a JSON value.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(_)) => true, // a pydantic model is always truthy
    }
}

fn text(v: &Value) -> &str {
    v.as_str().expect("a string")
}

/// `as_list(obj)`
fn as_list(v: &Value) -> Vec<&str> {
    match v {
        Value::Array(items) => items.iter().map(text).collect(),
        other => vec![text(other)],
    }
}

/// `re.match(pattern, text)` for the patterns the generators use.
fn py_re_match(pattern: &str, s: &str) -> bool {
    // `$` matches at the end or before one final newline.
    let at_end = |rest: &str| rest.is_empty() || rest == "\n";
    let word_run_to_end = |rest: &str| {
        let body = rest.strip_suffix('\n').unwrap_or(rest);
        !body.is_empty() && body.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    match pattern {
        "model::(a|b).*" => s.starts_with("model::a") || s.starts_with("model::b"),
        "model::a$" => s.strip_prefix("model::a").is_some_and(at_end),
        "(model|vector_store)::b$" => ["model::b", "vector_store::b"]
            .iter()
            .any(|p| s.strip_prefix(p).is_some_and(at_end)),
        r"model::\w+$" => s.strip_prefix("model::").is_some_and(word_run_to_end),
        "vector_store::.*" => s.starts_with("vector_store::"),
        "(?i)MODEL::A" => s.to_ascii_lowercase().starts_with("model::a"),
        "/v1/(models|files)/.*" => s.starts_with("/v1/models/") || s.starts_with("/v1/files/"),
        "/v1/models$" => s.strip_prefix("/v1/models").is_some_and(at_end),
        r"/v1/files/\d+" => s
            .strip_prefix("/v1/files/")
            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit())),
        "(?i)/V1/MODELS" => s.to_ascii_lowercase().starts_with("/v1/models"),
        other => panic!("no Python equivalent written for {other:?}"),
    }
}

/// A Python `User`: `attributes` None and `{}` are alike (both falsy).
struct PyUser<'a> {
    principal: &'a str,
    attributes: &'a Attributes,
}

impl<'a> From<&'a User> for PyUser<'a> {
    fn from(u: &'a User) -> Self {
        PyUser {
            principal: &u.principal,
            attributes: &u.attributes,
        }
    }
}

/// `parse_condition(condition).matches(resource, user)`, `owner` being
/// `resource.owner`.
fn py_condition(condition: &str, owner: Option<&PyUser>, user: &PyUser) -> bool {
    let words: Vec<&str> = condition.split_whitespace().collect();
    // UserInOwnersList.matches
    let in_owners = |name: &str| -> bool {
        let defined: Option<&Vec<String>> = match owner {
            Some(o) if !o.attributes.is_empty() && o.attributes.contains_key(name) => {
                o.attributes.get(name)
            }
            _ => None,
        };
        let Some(defined) = defined.filter(|d| !d.is_empty()) else {
            return false;
        };
        if user.attributes.is_empty()
            || !user.attributes.contains_key(name)
            || user.attributes[name].is_empty()
        {
            return false;
        }
        let user_values = &user.attributes[name];
        defined.iter().any(|value| user_values.contains(value))
    };
    // UserWithValueInList.matches
    let with_value = |value: &str, name: &str| -> bool {
        if !user.attributes.is_empty() && user.attributes.contains_key(name) {
            return user.attributes[name].iter().any(|v| v == value);
        }
        false
    };
    match words.as_slice() {
        ["user", "is", "owner"] => owner.is_some_and(|o| o.principal == user.principal),
        ["user", "is", "not", "owner"] => owner.is_none_or(|o| o.principal != user.principal),
        ["user", "with", value, "in", name] => with_value(value, name),
        ["user", "with", value, "not", "in", name] => !with_value(value, name),
        ["user", "in", "owners", name] => in_owners(name),
        ["user", "not", "in", "owners", name] => !in_owners(name),
        ["resource", "is", "unowned"] => owner.is_none(),
        _ => panic!("Invalid condition: {condition}"),
    }
}

/// `matches_conditions(parse_conditions(as_list(v)), resource, user)`
fn py_matches_conditions(v: &Value, owner: Option<&PyUser>, user: &PyUser) -> bool {
    as_list(v).into_iter().all(|c| py_condition(c, owner, user))
}

/// `matches_resource(resource_scope, actual_resource)`
fn py_matches_resource(scope: &str, actual: &str) -> bool {
    if scope == actual {
        return true;
    }
    if let Some(pattern) = scope.strip_prefix("regex:") {
        return py_re_match(pattern, actual);
    }
    scope.ends_with("::*") && actual.starts_with(&scope[..scope.len() - 1])
}

/// `matches_scope(scope, action, resource, user)`
fn py_matches_scope(scope: &Value, action: &str, resource: &str, principal: &str) -> bool {
    if truthy(scope.get("resource")) && !py_matches_resource(text(&scope["resource"]), resource) {
        return false;
    }
    if truthy(scope.get("principal")) && text(&scope["principal"]) != principal {
        return false;
    }
    // `action in scope.actions`: on a single `Action` (a str) this is a
    // substring test; no action name contains another.
    match &scope["actions"] {
        Value::Array(items) => items.iter().any(|a| text(a) == action),
        single => text(single).contains(action),
    }
}

/// `default_policy()`
fn py_default_policy() -> Vec<Value> {
    let all = json!(["create", "read", "update", "delete"]);
    let mut rules: Vec<Value> = ["roles", "teams", "projects", "namespaces"]
        .iter()
        .map(|name| json!({"permit": {"actions": all}, "when": [format!("user in owners {name}")]}))
        .collect();
    rules.push(json!({"permit": {"actions": all}, "when": ["user is owner"]}));
    rules.push(json!({"permit": {"actions": all}, "when": ["resource is unowned"]}));
    rules
}

/// `is_action_allowed(policy, action, resource, user)`, with the index of the
/// deciding rule (`None`: no user, or no rule matched).
fn py_is_action_allowed(
    policy: &[Value],
    action: &str,
    kind: &str,
    identifier: &str,
    owner: Option<&User>,
    user: Option<&User>,
) -> (bool, Option<usize>) {
    let qualified_resource_id = format!("{kind}::{identifier}");
    let owner = owner.map(PyUser::from);
    let owner = owner.as_ref();
    let Some(user) = user else {
        return (true, None);
    };
    let user = PyUser::from(user);
    let default;
    let policy = if policy.is_empty() {
        default = py_default_policy();
        &default[..]
    } else {
        policy
    };
    for (index, rule) in policy.iter().enumerate() {
        let (when, unless) = (rule.get("when"), rule.get("unless"));
        let scope_matches = |key: &str| {
            truthy(rule.get(key))
                && py_matches_scope(&rule[key], action, &qualified_resource_id, user.principal)
        };
        let decision = if scope_matches("forbid") {
            false
        } else if scope_matches("permit") {
            true
        } else {
            continue;
        };
        if truthy(when) {
            if py_matches_conditions(&rule["when"], owner, &user) {
                return (decision, Some(index));
            }
        } else if truthy(unless) {
            if !py_matches_conditions(&rule["unless"], owner, &user) {
                return (decision, Some(index));
            }
        } else {
            return (decision, Some(index));
        }
    }
    (false, None)
}

/// `_route_matches(request_route, rule_patterns)`
fn py_route_matches(route: &str, patterns: &Value) -> bool {
    for pattern in as_list(patterns) {
        if pattern == "*" {
            return true;
        } else if let Some(regex) = pattern.strip_prefix("regex:") {
            if py_re_match(regex, route) {
                return true;
            }
        } else if let Some(prefix) = pattern.strip_suffix('*') {
            if route.starts_with(prefix) {
                return true;
            }
        } else if pattern == route {
            return true;
        }
    }
    false
}

/// `_evaluate_conditions(rule, user)`: the resource is `_RouteContext`,
/// which has no owner.
fn py_evaluate_conditions(rule: &Value, user: Option<&User>) -> bool {
    let (when, unless) = (rule.get("when"), rule.get("unless"));
    if (truthy(when) || truthy(unless)) && user.is_none() {
        return false;
    }
    let user = user.map(PyUser::from);
    if truthy(when) {
        let user = user.as_ref().expect("checked above");
        return as_list(&rule["when"])
            .into_iter()
            .all(|c| py_condition(c, None, user));
    }
    if truthy(unless) {
        let user = user.as_ref().expect("checked above");
        return !as_list(&rule["unless"])
            .into_iter()
            .any(|c| py_condition(c, None, user));
    }
    true
}

/// `RouteAuthorizationMiddleware.__call__` then `_is_route_allowed`, with
/// the index of the deciding rule.
fn py_is_route_allowed(policy: &[Value], path: &str, user: Option<&User>) -> (bool, Option<usize>) {
    if policy.is_empty() {
        return (true, None);
    }
    let mut route = path;
    if route != "/" && route.ends_with('/') {
        route = route.trim_end_matches('/');
    }
    for (index, rule) in policy.iter().enumerate() {
        // _rule_matches
        let scope = if truthy(rule.get("permit")) {
            &rule["permit"]
        } else {
            &rule["forbid"]
        };
        if !truthy(Some(scope)) || !py_route_matches(route, &scope["paths"]) {
            continue;
        }
        if !py_evaluate_conditions(rule, user) {
            continue;
        }
        return (truthy(rule.get("permit")), Some(index));
    }
    (false, None)
}

// ---------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------

const ACTIONS: [&str; 4] = ["create", "read", "update", "delete"];
const PRINCIPALS: [&str; 3] = ["alice", "bob", "carol"];
const ATTRIBUTE_KEYS: [&str; 4] = ["roles", "teams", "projects", "namespaces"];
const ATTRIBUTE_VALUES: [&str; 3] = ["admin", "dev", "ml"];

/// One of the seven condition forms over a small pool, words separated by
/// any whitespace.
fn condition() -> impl Strategy<Value = String> {
    (
        0..7usize,
        select(vec!["roles", "teams", "namespaces"]),
        select(vec!["admin", "dev"]),
        select(vec![" ", " ", " ", "  ", "\t"]),
    )
        .prop_map(|(form, attribute, value, sep)| {
            let words: Vec<&str> = match form {
                0 => vec!["user", "with", value, "in", attribute],
                1 => vec!["user", "with", value, "not", "in", attribute],
                2 => vec!["user", "is", "owner"],
                3 => vec!["user", "is", "not", "owner"],
                4 => vec!["user", "in", "owners", attribute],
                5 => vec!["user", "not", "in", "owners", attribute],
                _ => vec!["resource", "is", "unowned"],
            };
            words.join(sep)
        })
}

/// A `when` / `unless` value: one condition, a list of one or two, or
/// (rarely) a falsy value that Python reads as no condition.
fn conditions() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => condition().prop_map(Value::String),
        6 => prop::collection::vec(condition(), 1..=2).prop_map(|c| json!(c)),
        1 => Just(json!([])),
        1 => Just(json!("")),
    ]
}

/// `when` or `unless` or neither; sometimes the other key is present too
/// with a falsy value (pydantic accepts that).
fn rule_conditions() -> impl Strategy<Value = Vec<(&'static str, Value)>> {
    (
        0..3usize,
        conditions(),
        prop::option::weighted(0.15, select(vec![json!([]), json!(""), Value::Null])),
    )
        .prop_map(|(which, value, falsy_other)| {
            let (key, other) = match which {
                0 => return Vec::new(),
                1 => ("when", "unless"),
                _ => ("unless", "when"),
            };
            let mut out = vec![(key, value)];
            if let Some(falsy) = falsy_other {
                out.push((other, falsy));
            }
            out
        })
}

fn actions() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => select(ACTIONS.to_vec()).prop_map(|a| json!(a)),
        4 => subsequence(ACTIONS.to_vec(), 0..=4)
            .prop_shuffle()
            .prop_map(|a| json!(a)),
    ]
}

fn resource_pattern() -> impl Strategy<Value = Value> {
    select(vec![
        "model::a",
        "model::ab",
        "model::a::b",
        "vector_store::a",
        "model::a\n",
        "*",
        "model::a*",
        "model::*",
        "vector_store::*",
        "model::a::*",
        "regex:model::(a|b).*",
        "regex:model::a$",
        "regex:(model|vector_store)::b$",
        r"regex:model::\w+$",
        "regex:vector_store::.*",
        "regex:(?i)MODEL::A",
        "",
    ])
    .prop_map(|p| json!(p))
}

fn access_rule() -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        actions(),
        prop::option::of(select(vec!["alice", "bob", ""])),
        prop::option::weighted(0.7, resource_pattern()),
        rule_conditions(),
        prop::option::weighted(0.3, select(vec!["a rule", ""])),
    )
        .prop_map(
            |(permit, actions, principal, resource, conditions, description)| {
                let mut scope = Map::new();
                scope.insert("actions".into(), actions);
                if let Some(p) = principal {
                    scope.insert("principal".into(), json!(p));
                }
                if let Some(r) = resource {
                    scope.insert("resource".into(), r);
                }
                let mut rule = Map::new();
                rule.insert(
                    if permit { "permit" } else { "forbid" }.into(),
                    Value::Object(scope),
                );
                for (key, value) in conditions {
                    rule.insert(key.into(), value);
                }
                if let Some(d) = description {
                    rule.insert("description".into(), json!(d));
                }
                Value::Object(rule)
            },
        )
}

/// Occasionally the empty policy (llama-stack's default policy).
fn access_policy() -> impl Strategy<Value = Vec<Value>> {
    prop_oneof![
        1 => Just(Vec::new()),
        7 => prop::collection::vec(access_rule(), 1..=4),
    ]
}

fn attributes() -> impl Strategy<Value = Attributes> {
    prop::collection::btree_map(
        select(ATTRIBUTE_KEYS.to_vec()).prop_map(str::to_owned),
        subsequence(ATTRIBUTE_VALUES.to_vec(), 0..=3)
            .prop_map(|v| v.into_iter().map(str::to_owned).collect()),
        0..=3,
    )
}

fn a_user() -> impl Strategy<Value = User> {
    (select(PRINCIPALS.to_vec()), attributes()).prop_map(|(p, a)| User::new(p, a))
}

/// A user, or `None` (authentication off / anonymous caller).
fn maybe_user() -> impl Strategy<Value = Option<User>> {
    prop::option::weighted(0.85, a_user())
}

/// (kind, identifier, owner): identifiers include one ending in a newline.
fn resource() -> impl Strategy<Value = (&'static str, &'static str, Option<User>)> {
    (
        select(vec!["model", "vector_store"]),
        select(vec![
            "a", "b", "ab", "A", "a\n", "b\n", "a\n\n", "", "a::b", "*", "a*",
        ]),
        prop::option::weighted(0.7, a_user()),
    )
}

fn path_pattern() -> impl Strategy<Value = &'static str> {
    select(vec![
        "*",
        "/",
        "",
        "/v1/models",
        "/v1/models/",
        "/v1/models*",
        "/v1/files*",
        "/v1/*/models",
        "regex:/v1/(models|files)/.*",
        "regex:/v1/models$",
        r"regex:/v1/files/\d+",
        "regex:(?i)/V1/MODELS",
    ])
}

fn route_rule() -> impl Strategy<Value = Value> {
    (
        any::<bool>(),
        prop_oneof![
            2 => path_pattern().prop_map(|p| json!(p)),
            3 => prop::collection::vec(path_pattern(), 0..=3).prop_map(|p| json!(p)),
        ],
        rule_conditions(),
        prop::option::weighted(0.3, Just("a route rule")),
    )
        .prop_map(|(permit, paths, conditions, description)| {
            let mut rule = Map::new();
            rule.insert(
                if permit { "permit" } else { "forbid" }.into(),
                json!({ "paths": paths }),
            );
            for (key, value) in conditions {
                rule.insert(key.into(), value);
            }
            if let Some(d) = description {
                rule.insert("description".into(), json!(d));
            }
            Value::Object(rule)
        })
}

fn route_policy() -> impl Strategy<Value = Vec<Value>> {
    prop_oneof![
        1 => Just(Vec::new()),
        7 => prop::collection::vec(route_rule(), 1..=4),
    ]
}

fn request_path() -> impl Strategy<Value = &'static str> {
    select(vec![
        "/",
        "",
        "//",
        "/v1/models",
        "/v1/models/",
        "/v1/models//",
        "/v1/models/m1",
        "/v1/modelsX",
        "/v1/files",
        "/v1/files/",
        "/v1/files/123",
        "/v1/files/abc",
        "/v1/models\n",
        "/v1/models\n/",
        "/V1/MODELS",
        "/v2/models",
        "/v1/*/models",
    ])
}

// ---------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// `AccessPolicy::decide` takes `is_action_allowed`'s decision, and names
    /// the rule that took it.
    #[test]
    fn access_policy_decides_as_llama_stack(
        rules in access_policy(),
        queries in prop::collection::vec(
            (select(ACTIONS.to_vec()), resource(), maybe_user()),
            1..=8,
        ),
    ) {
        let policy = AccessPolicy::from_values(&rules)
            .map_err(|e| TestCaseError::fail(format!("must load: {e}")))?;
        for (action, (kind, identifier, owner), user) in &queries {
            let (allowed, index) =
                py_is_action_allowed(&rules, action, kind, identifier, owner.as_ref(), user.as_ref());
            let parsed: Action = action.parse().map_err(|e: auth_runtime::authz::RuleError| TestCaseError::fail(e.to_string()))?;
            let resource = Resource::new(kind, identifier, owner.as_ref());
            let decision = policy.decide(parsed, &resource, user.as_ref());
            prop_assert_eq!(
                decision.allowed, allowed,
                "{} {}::{:?} owner={:?} user={:?}\nrules={}",
                action, kind, identifier, owner, user, Value::Array(rules.clone())
            );
            if user.is_none() {
                prop_assert_eq!(decision.basis, Basis::NoUser);
            } else if rules.is_empty() {
                prop_assert_eq!(decision.basis, Basis::DefaultPolicy);
            } else {
                prop_assert_eq!(decision.rule, index, "deciding rule");
                let basis = if index.is_some() { Basis::Rule } else { Basis::NoMatchingRule };
                prop_assert_eq!(decision.basis, basis);
            }
        }
    }

    /// `RoutePolicy::decide` takes `_is_route_allowed`'s decision (after the
    /// middleware's trailing-slash stripping), and names the rule.
    #[test]
    fn route_policy_decides_as_llama_stack(
        rules in route_policy(),
        queries in prop::collection::vec((request_path(), maybe_user()), 1..=8),
    ) {
        let policy = RoutePolicy::from_values(&rules)
            .map_err(|e| TestCaseError::fail(format!("must load: {e}")))?;
        for (path, user) in &queries {
            let (allowed, index) = py_is_route_allowed(&rules, path, user.as_ref());
            let decision = policy.decide(path, user.as_ref());
            prop_assert_eq!(
                decision.allowed, allowed,
                "{:?} user={:?}\nrules={}",
                path, user, Value::Array(rules.clone())
            );
            if rules.is_empty() {
                prop_assert_eq!(decision.basis, Basis::NoPolicy);
            } else {
                prop_assert_eq!(decision.rule, index, "deciding rule");
            }
        }
    }
}

/// The interpreter's regex equivalents agree with the cases checked in
/// Python (so a wrong equivalent cannot hide an engine bug).
#[test]
fn python_regex_equivalents() {
    for (pattern, s, expected) in [
        ("model::a$", "model::a", true),
        ("model::a$", "model::a\n", true),
        ("model::a$", "model::a\n\n", false),
        ("model::a$", "model::ab", false),
        (r"model::\w+$", "model::ab\n", true),
        (r"model::\w+$", "model::", false),
        (r"model::\w+$", "model::a::b", false),
        ("(?i)MODEL::A", "model::ab", true),
        ("model::(a|b).*", "model::b\n", true),
        ("/v1/models$", "/v1/models\n", true),
        (r"/v1/files/\d+", "/v1/files/123abc", true),
        (r"/v1/files/\d+", "/v1/files/abc", false),
    ] {
        assert_eq!(py_re_match(pattern, s), expected, "{pattern} on {s:?}");
    }
}
