//! The policy commands' cases.

use serde_json::Value;

use super::case::Case;
use super::eval::write_decision;
use super::explain::{explain_case, sentence};
use super::*;
use crate::authz::{Action, Resource};
use crate::principal::{Attributes, User};

fn policies(yaml: &str) -> Settings {
    Settings::parse(yaml, "test.yaml", &|_| None).unwrap()
}

fn run_eval(p: &Settings, input: &str) -> (Vec<Value>, String, usize) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let bad = eval_cases(p, input.as_bytes(), &mut out, &mut err).unwrap();
    let lines = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (lines, String::from_utf8(err).unwrap(), bad)
}

const POLICY: &str = "server:\n  auth:\n    access_policy:\n      \
    - permit: {actions: [read], resource: 'model::*'}\n        when: user with admin in roles\n        \
    description: admins read models\n      \
    - forbid: {actions: [delete]}\n    route_policy:\n      \
    - permit: {paths: /v1/health}\n      \
    - permit: {paths: '/v1/*'}\n        when: user with admin in roles\n";

#[test]
fn eval_decides_each_line_and_reports_bad_ones() {
    let p = policies(POLICY);
    let input = concat!(
        r#"{"id": "c1", "user": {"principal": "a", "attributes": {"roles": ["admin"]}}, "action": "read", "resource": {"type": "model", "identifier": "m1"}}"#,
        "\n\n",
        r#"{"id": 2, "user": null, "action": "delete", "resource": {"type": "model", "identifier": "m1", "owner": null}}"#,
        "\n",
        r#"{"id": 3, "user": {"principal": "b"}, "action": "fly", "resource": {"type": "model", "identifier": "m1"}}"#,
        "\n{nope\n",
        r#"{"id": "r1", "user": null, "path": "/v1/health/"}"#,
        "\r\n",
        r#"{"id": "r2", "user": {"principal": "b", "attributes": {}}, "path": "/v1/models"}"#,
        "\n",
        r#"{"id": 7, "path": "/v1/models"}"#,
        "\n",
        r#"{"id": 8, "user": null, "path": "/x", "action": "read"}"#,
    );
    let (lines, err, bad) = run_eval(&p, input);
    assert_eq!(bad, 4, "{err}");
    let ids: Vec<&Value> = lines.iter().map(|l| &l["id"]).collect();
    assert_eq!(
        ids,
        [
            &Value::from("c1"),
            &Value::from(2),
            &"r1".into(),
            &"r2".into()
        ]
    );
    assert_eq!(lines[0]["allowed"], true);
    assert_eq!(lines[0]["rule"], 0);
    assert_eq!(lines[0]["reason"], "allowed by rule 0: admins read models");
    assert_eq!(lines[1]["rule"], Value::Null, "no user: authentication off");
    assert_eq!(lines[1]["allowed"], true);
    assert_eq!(lines[2]["rule"], 0);
    assert_eq!(lines[3]["allowed"], false);
    assert_eq!(lines[3]["rule"], Value::Null);
    let err: Vec<&str> = err.lines().collect();
    assert!(
        err[0].starts_with("line 4: unknown action \"fly\""),
        "{err:?}"
    );
    assert!(err[1].starts_with("line 5: invalid JSON"), "{err:?}");
    assert!(!err[1].contains("line 1"), "{err:?}");
    assert!(
        err[2].starts_with("line 8: missing field `user`"),
        "{err:?}"
    );
    assert!(err[3].starts_with("line 9: "), "{err:?}");
}

#[test]
fn the_json_line_has_the_documented_shape() {
    let p = policies("");
    let mut out = Vec::new();
    let decision = p.access.decide(
        Action::Read,
        &Resource::new("model", "m", None),
        Some(&User::new("a", Attributes::new())),
    );
    write_decision(&mut out, &Value::from("c\n1"), &decision).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"id\": \"c\\n1\", \"allowed\": true, \"rule\": null, \"reason\": \
         \"allowed by the default policy: resource is unowned\"}\n"
    );
}

fn explain_args(args: &[&str]) -> ExplainArgs {
    #[derive(clap::Parser)]
    struct Wrapper {
        #[command(flatten)]
        args: ExplainArgs,
    }
    let mut argv = vec!["explain"];
    argv.extend_from_slice(args);
    <Wrapper as clap::Parser>::try_parse_from(argv)
        .unwrap()
        .args
}

#[test]
fn explain_builds_the_case_from_flags() {
    let p = policies(POLICY);
    let case = explain_case(&explain_args(&[
        "--principal",
        "alice",
        "--attribute",
        "roles=user",
        "--attribute",
        "roles=admin",
        "--action",
        "read",
        "--resource",
        "model::a::b",
        "--owner",
        "bob",
        "--owner-attribute",
        "teams=ml",
    ]))
    .unwrap();
    let Case::Resource {
        user: Some(user),
        kind,
        identifier,
        owner: Some(owner),
        ..
    } = &case
    else {
        panic!("a resource case with a user and an owner")
    };
    assert_eq!(user.attribute("roles"), ["user", "admin"]);
    assert_eq!((kind.as_str(), identifier.as_str()), ("model", "a::b"));
    assert_eq!(owner.attribute("teams"), ["ml"]);
    let d = case.decide(&p);
    assert!(d.allowed && d.rule == Some(0));
    assert_eq!(
        sentence(&case, &d),
        "user \"alice\" may read model::a::b (owned by \"bob\"): allowed by rule 0: admins read models."
    );
    let route = explain_case(&explain_args(&["--path", "/v1/models"])).unwrap();
    assert_eq!(
        sentence(&route, &route.decide(&p)),
        "an anonymous caller may not request \"/v1/models\": denied: no matching rule."
    );
    for bad in [
        &[][..],
        &["--path", "/x", "--action", "read"],
        &["--action", "read"],
        &["--resource", "model::m"],
        &["--action", "fly", "--resource", "model::m"],
        &["--action", "read", "--resource", "model"],
        &["--attribute", "roles=admin", "--path", "/x"],
        &["--principal", "a", "--attribute", "roles", "--path", "/x"],
        &["--principal", "a", "--attribute", "=x", "--path", "/x"],
        &["--path", "/x", "--owner", "bob"],
        &[
            "--action",
            "read",
            "--resource",
            "m::1",
            "--owner-attribute",
            "a=b",
        ],
    ] {
        assert!(explain_case(&explain_args(bad)).is_err(), "{bad:?}");
    }
}

/// A policy that permits every read: only a tenant scope mismatch denies one.
const READ_ALL: &str = "server:\n  auth:\n    access_policy:\n      \
    - permit: {actions: [read]}\n        description: everyone reads\n";

/// A user or owner object of a case, with `tenant` as its `tenant_id`
/// (`None`: the key is left out).
fn someone(principal: &str, tenant: Option<&Value>) -> Value {
    let mut user = serde_json::json!({"principal": principal});
    if let Some(t) = tenant {
        user["tenant_id"] = t.clone();
    }
    user
}

#[test]
fn eval_decides_every_combination_of_tenants() {
    let p = policies(READ_ALL);
    // Absent, null, blank: no tenant. Then two tenants, one written in
    // another case and with spaces (the same once trimmed and lower-cased).
    let tenants = [
        None,
        Some(Value::Null),
        Some(Value::from("  ")),
        Some(Value::from("acme")),
        Some(Value::from(" ACME ")),
        Some(Value::from("globex")),
    ];
    let normal = |t: &Option<Value>| -> Option<String> {
        t.as_ref()
            .and_then(Value::as_str)
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
    };
    let mut input = String::new();
    let mut expected = Vec::new();
    for (i, user) in tenants.iter().enumerate() {
        for (j, owner) in tenants.iter().enumerate() {
            let case = serde_json::json!({
                "id": format!("u{i}-o{j}"),
                "user": someone("alice", user.as_ref()),
                "action": "read",
                "resource": {"type": "model", "identifier": "m", "owner": someone("bob", owner.as_ref())},
            });
            input.push_str(&format!("{case}\n"));
            let mismatch = matches!((normal(user), normal(owner)), (Some(u), Some(o)) if u != o);
            expected.push((format!("u{i}-o{j}"), mismatch));
        }
    }
    let (lines, err, bad) = run_eval(&p, &input);
    assert_eq!((bad, err.as_str()), (0, ""));
    assert_eq!(lines.len(), expected.len());
    let mismatches = expected.iter().filter(|(_, m)| *m).count();
    assert_eq!(
        mismatches, 4,
        "acme (in two spellings) against globex, both ways"
    );
    for (line, (id, mismatch)) in lines.iter().zip(&expected) {
        assert_eq!(line["id"], id.as_str());
        if *mismatch {
            assert_eq!(
                line,
                &serde_json::json!({"id": id, "allowed": false, "rule": null,
                                    "reason": "denied: tenant scope mismatch"})
            );
        } else {
            assert_eq!(
                line,
                &serde_json::json!({"id": id, "allowed": true, "rule": 0,
                                    "reason": "allowed by rule 0: everyone reads"}),
            );
        }
    }
}

#[test]
fn a_case_without_tenant_id_is_decided_and_written_as_before() {
    let p = policies(READ_ALL);
    let line = r#"{"id": 1, "user": {"principal": "a"}, "action": "read", "resource": {"type": "model", "identifier": "m", "owner": {"principal": "b"}}}"#;
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let bad = eval_cases(&p, line.as_bytes(), &mut out, &mut err).unwrap();
    assert_eq!(bad, 0);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "{\"id\": 1, \"allowed\": true, \"rule\": 0, \"reason\": \"allowed by rule 0: everyone reads\"}\n"
    );
}

#[test]
fn a_malformed_tenant_id_refuses_the_case_naming_it_and_the_field() {
    let p = policies(READ_ALL);
    let input = concat!(
        r#"{"id": "c1", "user": {"principal": "a", "tenant_id": "Secret/Value"}, "action": "read", "resource": {"type": "model", "identifier": "m"}}"#,
        "\n",
        r#"{"id": 2, "user": {"principal": "a", "tenant_id": "acme"}, "action": "read", "resource": {"type": "model", "identifier": "m", "owner": {"principal": "b", "tenant_id": "_hidden"}}}"#,
        "\n",
        r#"{"id": "c3", "user": {"principal": "a", "tenant_id": 42}, "path": "/v1/models"}"#,
        "\n",
        r#"{"id": "c4", "user": {"principal": "a"}, "action": "read", "resource": {"type": "model", "identifier": "m", "owner": {"principal": "b", "tenant_id": ["acme"]}}}"#,
        "\n",
        r#"{"id": "ok", "user": {"principal": "a", "tenant_id": null}, "action": "read", "resource": {"type": "model", "identifier": "m", "owner": {"principal": "b", "tenant_id": "acme"}}}"#,
        "\n",
    );
    let long = format!(
        r#"{{"id": "c6", "user": {{"principal": "a", "tenant_id": "{}"}}, "path": "/x"}}"#,
        "a".repeat(129)
    );
    let (lines, err, bad) = run_eval(&p, &format!("{input}{long}\n"));
    assert_eq!(bad, 5, "{err}");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], "ok");
    assert_eq!(lines[0]["allowed"], true);
    let err: Vec<&str> = err.lines().collect();
    assert_eq!(
        err,
        [
            "line 1: case \"c1\": user.tenant_id: the tenant id may hold only a-z, 0-9, '_' and '-', and starts with a letter or a digit",
            "line 2: case 2: resource.owner.tenant_id: the tenant id may hold only a-z, 0-9, '_' and '-', and starts with a letter or a digit",
            "line 3: case \"c3\": user.tenant_id: expected a string or null",
            "line 4: case \"c4\": resource.owner.tenant_id: expected a string or null",
            "line 6: case \"c6\": user.tenant_id: the tenant id is longer than 128 characters",
        ]
    );
}

#[test]
fn explain_takes_tenants_and_names_a_mismatch() {
    let p = policies(READ_ALL);
    let args = |user: &'static str, owner: &'static str| {
        explain_case(&explain_args(&[
            "--principal",
            "alice",
            "--tenant-id",
            user,
            "--action",
            "read",
            "--resource",
            "model::m",
            "--owner",
            "bob",
            "--owner-tenant-id",
            owner,
        ]))
        .unwrap()
    };
    let case = args("Acme", "globex");
    let d = case.decide(&p);
    assert_eq!(
        (d.allowed, d.rule, d.basis),
        (false, None, crate::authz::Basis::TenantMismatch)
    );
    let mut line = Vec::new();
    write_decision(&mut line, &Value::Null, &d).unwrap();
    assert_eq!(
        String::from_utf8(line).unwrap(),
        "{\"id\": null, \"allowed\": false, \"rule\": null, \"reason\": \"denied: tenant scope mismatch\"}\n"
    );
    assert_eq!(
        sentence(&case, &d),
        "user \"alice\" of tenant \"acme\" may not read model::m (owned by \"bob\" of tenant \"globex\"): \
         denied: tenant scope mismatch, before any rule."
    );
    let same = args(" ACME ", "acme");
    let d = same.decide(&p);
    assert!(d.allowed && d.rule == Some(0));
    assert_eq!(
        sentence(&same, &d),
        "user \"alice\" of tenant \"acme\" may read model::m (owned by \"bob\" of tenant \"acme\"): \
         allowed by rule 0: everyone reads."
    );
    // A blank tenant is none: no mismatch, and the sentence names no tenant.
    let blank = args("", "globex");
    let d = blank.decide(&p);
    assert!(d.allowed);
    assert_eq!(
        sentence(&blank, &d),
        "user \"alice\" may read model::m (owned by \"bob\" of tenant \"globex\"): \
         allowed by rule 0: everyone reads."
    );
    let route = explain_case(&explain_args(&[
        "--principal",
        "alice",
        "--tenant-id",
        "acme",
        "--path",
        "/v1/models",
    ]))
    .unwrap();
    assert_eq!(
        sentence(&route, &route.decide(&p)),
        "user \"alice\" of tenant \"acme\" may request \"/v1/models\": allowed: no route policy."
    );

    let refused = |flags: &[&str]| {
        explain_case(&explain_args(flags))
            .err()
            .map(|e| e.to_string())
    };
    assert_eq!(
        refused(&[
            "--principal",
            "a",
            "--tenant-id",
            "Bad Tenant",
            "--path",
            "/x"
        ])
        .as_deref(),
        Some(
            "--tenant-id: the tenant id may hold only a-z, 0-9, '_' and '-', and starts with a letter or a digit"
        )
    );
    let e = refused(&[
        "--action",
        "read",
        "--resource",
        "m::1",
        "--owner",
        "b",
        "--owner-tenant-id",
        "-x",
    ])
    .unwrap();
    assert!(e.starts_with("--owner-tenant-id: "), "{e}");
    assert!(!e.contains("-x"), "the value is not repeated: {e}");
    for bad in [
        &["--tenant-id", "acme", "--path", "/x"][..],
        &[
            "--principal",
            "a",
            "--owner-tenant-id",
            "acme",
            "--path",
            "/x",
        ],
        &[
            "--action",
            "read",
            "--resource",
            "m::1",
            "--owner-tenant-id",
            "acme",
        ],
    ] {
        assert!(refused(bad).is_some(), "{bad:?}");
    }
}

#[test]
fn test_expectations_pin_a_tenant_mismatch() {
    use super::test::{Outcome, test_cases};
    let p = policies(
        "server:\n  auth:\n    access_policy:\n      \
         - forbid: {actions: [delete]}\n      \
         - permit: {actions: [read]}\n",
    );
    let case = |id: &str, action: &str, user: &str, owner: &str, expect: &str| {
        format!(
            r#"{{"id": "{id}", "user": {{"principal": "a", "tenant_id": "{user}"}}, "action": "{action}", "resource": {{"type": "model", "identifier": "m", "owner": {{"principal": "b", "tenant_id": "{owner}"}}}}, "expect": {expect}}}"#
        )
    };
    let lines = [
        case(
            "x-read",
            "read",
            "acme",
            "globex",
            r#"{"allowed": false, "tenant_mismatch": true}"#,
        ),
        case(
            "x-read-any",
            "read",
            "acme",
            "globex",
            r#"{"allowed": false}"#,
        ),
        case(
            "same-read",
            "read",
            "acme",
            "acme",
            r#"{"allowed": true, "rule": 1, "tenant_mismatch": false}"#,
        ),
        // Denied, but by rule 0, not by the tenant scope.
        case(
            "same-delete",
            "delete",
            "acme",
            "acme",
            r#"{"allowed": false, "tenant_mismatch": true}"#,
        ),
        // Denied by the tenant scope, not by rule 0.
        case(
            "x-delete",
            "delete",
            "acme",
            "globex",
            r#"{"allowed": false, "rule": 0}"#,
        ),
        case(
            "x-delete-no",
            "delete",
            "acme",
            "globex",
            r#"{"allowed": false, "tenant_mismatch": false}"#,
        ),
    ]
    .join("\n");
    let mut out = Vec::new();
    let outcome = test_cases(
        &p,
        vec![("cases".to_owned(), Box::new(lines.as_bytes()))],
        &mut out,
    )
    .unwrap_or_else(|e| panic!("{}", e.0));
    assert_eq!(
        outcome,
        Outcome {
            cases: 6,
            failed: 3
        }
    );
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "case same-delete: expected deny by tenant scope mismatch, got deny by rule 0",
            "case x-delete: expected deny by rule 0, got deny (denied: tenant scope mismatch)",
            "case x-delete-no: expected deny, no tenant scope mismatch, got deny (denied: tenant scope mismatch)",
            "6 cases: 3 passed, 3 failed",
        ]
    );

    // A mismatch with `allowed: true` or a rule cannot hold: a bad file.
    for expect in [
        r#"{"allowed": true, "tenant_mismatch": true}"#,
        r#"{"allowed": false, "rule": 0, "tenant_mismatch": true}"#,
    ] {
        let line = case("c", "read", "acme", "globex", expect);
        let e = test_cases(
            &p,
            vec![("f".to_owned(), Box::new(line.as_bytes()))],
            &mut Vec::new(),
        )
        .unwrap_err();
        assert!(
            e.0.starts_with("f line 1: `expect`: a tenant scope mismatch"),
            "{}",
            e.0
        );
    }
    // A malformed tenant makes the file bad, naming the case and the field.
    let line = case("c", "read", "acme", "a b", r#"{"allowed": false}"#);
    let e = test_cases(
        &p,
        vec![("f".to_owned(), Box::new(line.as_bytes()))],
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(
        e.0.starts_with("f line 1: case \"c\": resource.owner.tenant_id: "),
        "{}",
        e.0
    );
}
