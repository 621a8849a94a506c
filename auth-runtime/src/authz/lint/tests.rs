//! The lint's cases.

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
    let w =
        route("      - permit: {paths: ['/v1/*/models', '/v1/models/', /, '/v1/*', '/v1/a*b']}\n");
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
