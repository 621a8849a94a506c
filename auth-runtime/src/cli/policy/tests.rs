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
