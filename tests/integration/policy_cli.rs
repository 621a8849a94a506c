//! `policy check | eval | explain` as a user runs them: the real demo binary,
//! config and case files on disk.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::demo_server::server_binary;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!(
            "webmethod-policy-cli-{}-{name}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn write(&self, file: &str, text: &str) -> String {
        let path = self.0.join(file);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn server(args: &[&str]) -> Output {
    Command::new(server_binary())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Every stdout line, as JSON.
fn json_lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}")))
        .collect()
}

/// A run.yaml with other sections, an `api_keys` provider and both policies.
const CONFIG: &str = r#"
version: 2
image_name: policy-cli
apis: [inference, files]
providers:
  inference:
    - {provider_id: ollama, provider_type: remote::ollama, config: {url: "http://localhost:11434"}}
server:
  port: 8321
  auth:
    provider_config:
      type: api_keys
      keys:
        - {key: k-admin, principal: admin, attributes: {roles: [admin], teams: [ml]}}
        - {key: k-user, principal: alice, attributes: {roles: [user], teams: [ml]}}
    access_policy:
      - permit: {principal: admin, actions: [create, read, update, delete]}
        description: the admin does anything
      - forbid: {actions: [delete], resource: "model::*"}
        unless: user is owner
        description: only owners delete models
      - permit: {actions: [read], resource: "model::*"}
        when: user with user in roles
      - permit: {actions: [read, update]}
        when: user in owners teams
    route_policy:
      - permit: {paths: [/v1/health, /v1/version]}
      - forbid: {paths: "/v1/admin*"}
        unless: user with admin in roles
      - permit: {paths: "/v1/*"}
        when: user with ml in teams
"#;

#[test]
fn check_accepts_a_valid_config_and_shows_its_warnings() {
    let dir = TempDir::new("check-ok");
    // Rule 1 follows a catch-all permit; route rule 1 is shadowed by rule 0.
    let config = dir.write(
        "config.yaml",
        "image_name: x\nserver:\n  auth:\n    provider_config:\n      type: api_keys\n      \
         keys: [{key: k1, principal: alice, attributes: {roles: [admin]}}]\n    \
         access_policy:\n      - permit: {actions: [create, read, update, delete]}\n      \
         - forbid: {actions: [delete], resource: 'model::*'}\n    \
         route_policy:\n      - permit: {paths: '/v1/*'}\n      \
         - forbid: {paths: /v1/models}\n        description: never used\n",
    );
    let out = server(&["policy", "check", "--config", &config]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("OK"), "{stdout}");
    assert!(stdout.contains("2 warnings"), "{stdout}");
    let warnings: Vec<&str> = stderr.lines().collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(
        warnings[0].starts_with("warning: server.auth.access_policy[1]: forbid after a catch-all"),
        "{stderr}"
    );
    assert!(
        warnings[1].starts_with("warning: server.auth.route_policy[1]: shadowed: rule 0"),
        "{stderr}"
    );

    // The full config: its footguns are reported, it still loads.
    let config = dir.write("full.yaml", CONFIG);
    let out = server(&["policy", "check", "--config", &config]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.lines().all(|l| l.starts_with("warning: ")),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "warning: server.auth.route_policy[1]: a rule with conditions never matches an \
             anonymous caller"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: server.auth.route_policy[2]: "),
        "{stderr}"
    );
    assert!(!stderr.contains("access_policy"), "{stderr}");
}

#[test]
fn check_refuses_an_invalid_config_naming_the_field() {
    let dir = TempDir::new("check-bad");
    let config = dir.write(
        "config.yaml",
        "server:\n  auth:\n    access_policy:\n      - permit: {actions: [read]}\n      \
         - permit: {actions: [read]}\n      - permit: {actions: [read]}\n        \
         when: user is admin\n",
    );
    let out = server(&["policy", "check", "--config", &config]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(out.stdout.is_empty());
    assert!(
        stderr.contains("server.auth.access_policy[2].when"),
        "{stderr}"
    );
    assert!(stderr.starts_with("error: "), "{stderr}");

    let config = dir.write(
        "route.yaml",
        "server:\n  auth:\n    route_policy: [{permit: {paths: '*'}}, {permit: {paths: 'regex:('}}]\n",
    );
    let out = server(&["policy", "check", "--config", &config]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("server.auth.route_policy[1].permit.paths"));

    let missing = dir.0.join("missing.yaml");
    let out = server(&["policy", "check", "--config", missing.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn eval_decides_every_case_in_order_and_reports_a_bad_line() {
    let dir = TempDir::new("eval");
    let config = dir.write("config.yaml", CONFIG);
    let alice = json!({"principal": "alice", "attributes": {"roles": ["user"], "teams": ["ml"]}});
    let odd = json!({
        "principal": "名前 with spaces\nand a newline",
        "attributes": {"roles": ["admin::*", "*"], "teams": [], "ünï": ["a/b\nc"]}
    });
    let lines = [
        json!({"id": "c1", "user": alice, "action": "read",
               "resource": {"type": "model", "identifier": "m1"}}),
        json!({"id": 2, "user": {"principal": "admin"}, "action": "delete",
               "resource": {"type": "model", "identifier": "m::x*", "owner": null}}),
        json!({"id": "c3", "user": alice, "action": "delete",
               "resource": {"type": "model", "identifier": "m1",
                            "owner": {"principal": "bob", "attributes": {"teams": ["ml"]}}}}),
        json!({"id": "c4", "user": alice, "action": "update",
               "resource": {"type": "vector_db", "identifier": "v1",
                            "owner": {"principal": "bob", "attributes": {"teams": ["ml"]}}}}),
        json!({"id": "c5", "user": null, "action": "delete",
               "resource": {"type": "model", "identifier": "m1"}}),
        json!({"id": "c6", "user": odd, "action": "read",
               "resource": {"type": "model::*", "identifier": "*\n/é"}}),
        json!({"id": "r1", "user": null, "path": "/v1/health/"}),
        json!({"id": "r2", "user": null, "path": "/v1/models"}),
        json!({"id": "r3", "user": alice, "path": "/v1/admin/users"}),
        json!({"id": "r4", "user": {"principal": "admin", "attributes": {"roles": ["admin"], "teams": ["ml"]}},
               "path": "/v1/admin/users"}),
        json!({"id": "r5", "user": alice, "path": "/v1/models/a::b*/ü\nx"}),
        json!({"id": {"nested": [1]}, "user": odd, "path": "/v1/files/x"}),
    ];
    let expected: [(bool, Value, &str); 12] = [
        (true, json!(2), "allowed by rule 2"),
        (true, json!(0), "allowed by rule 0: the admin does anything"),
        (
            false,
            json!(1),
            "denied by rule 1: only owners delete models",
        ),
        (true, json!(3), "allowed by rule 3"),
        (
            true,
            Value::Null,
            "allowed: no user (authentication is off)",
        ),
        (false, Value::Null, "denied: no matching rule"),
        (true, json!(0), "allowed by rule 0"),
        (false, Value::Null, "denied: no matching rule"),
        (false, json!(1), "denied by rule 1"),
        (true, json!(2), "allowed by rule 2"),
        (true, json!(2), "allowed by rule 2"),
        (false, Value::Null, "denied: no matching rule"),
    ];
    let mut file = String::new();
    for (i, line) in lines.iter().enumerate() {
        file.push_str(&line.to_string());
        file.push('\n');
        match i {
            // Line 4: bad JSON; line 6: an unknown action; line 7: blank.
            2 => file.push_str("{\"id\": \"broken\", \"user\": null,\n"),
            3 => {
                file.push_str(r#"{"id": "x", "user": null, "action": "fly", "resource": {"type": "m", "identifier": "i"}}"#);
                file.push_str("\n   \n");
            }
            // Line 13: a route case without `user`.
            8 => file.push_str("{\"id\": \"nouser\", \"path\": \"/v1/models\"}\n"),
            _ => {}
        }
    }
    let cases = dir.write("cases.jsonl", &file);
    let out = server(&["policy", "eval", "--config", &config, "--cases", &cases]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let got = json_lines(&out);
    assert_eq!(got.len(), lines.len(), "{}", text(&out.stdout));
    for ((line, out), (allowed, rule, reason)) in lines.iter().zip(&got).zip(&expected) {
        let mut keys: Vec<&String> = out.as_object().unwrap().keys().collect();
        keys.sort();
        assert_eq!(keys, ["allowed", "id", "reason", "rule"], "{out}");
        assert_eq!(out["id"], line["id"], "ids are echoed in order");
        assert_eq!(
            (
                &out["allowed"],
                &out["rule"],
                out["reason"].as_str().unwrap()
            ),
            (&json!(allowed), rule, *reason),
            "{line}"
        );
    }
    // The documented shape, key order and spacing included.
    assert!(
        text(&out.stdout).starts_with(
            "{\"id\": \"c1\", \"allowed\": true, \"rule\": 2, \"reason\": \"allowed by rule 2\"}\n"
        ),
        "{}",
        text(&out.stdout)
    );
    let problems: Vec<&str> = stderr.lines().collect();
    assert!(problems[0].starts_with("line 4: invalid JSON"), "{stderr}");
    assert!(
        problems[1].starts_with("line 6: unknown action \"fly\""),
        "{stderr}"
    );
    assert!(
        problems[2].starts_with("line 13: missing field `user`"),
        "{stderr}"
    );
    assert_eq!(problems.len(), 4, "{stderr}");
    assert!(
        problems[3].starts_with("error: 3 malformed lines"),
        "{stderr}"
    );
}

#[test]
fn eval_with_the_default_policy_names_no_rule() {
    let dir = TempDir::new("default");
    let config = dir.write(
        "config.yaml",
        "server:\n  auth:\n    provider_config: {type: upstream_header, principal_header: x-user}\n    \
         access_policy: []\n",
    );
    let cases = dir.write(
        "cases.jsonl",
        concat!(
            r#"{"id": 1, "user": {"principal": "a", "attributes": {"teams": ["ml"]}}, "action": "read", "resource": {"type": "model", "identifier": "m", "owner": {"principal": "b", "attributes": {"teams": ["ml"]}}}}"#,
            "\n",
            r#"{"id": 2, "user": {"principal": "a"}, "action": "read", "resource": {"type": "model", "identifier": "m", "owner": {"principal": "b"}}}"#,
            "\n",
            r#"{"id": 3, "user": {"principal": "a"}, "action": "create", "resource": {"type": "model", "identifier": "m"}}"#,
            "\n",
            r#"{"id": 4, "user": null, "path": "/anything"}"#,
        ),
    );
    let out = server(&["policy", "eval", "--config", &config, "--cases", &cases]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = json_lines(&out);
    let summary: Vec<(bool, &Value, &str)> = got
        .iter()
        .map(|l| {
            (
                l["allowed"].as_bool().unwrap(),
                &l["rule"],
                l["reason"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                true,
                &Value::Null,
                "allowed by the default policy: user in owners teams"
            ),
            (
                false,
                &Value::Null,
                "denied by the default policy: no rule matched"
            ),
            (
                true,
                &Value::Null,
                "allowed by the default policy: resource is unowned"
            ),
            (true, &Value::Null, "allowed: no route policy"),
        ]
    );
}

#[test]
fn explain_prints_the_json_line_and_a_sentence() {
    let dir = TempDir::new("explain");
    let config = dir.write("config.yaml", CONFIG);
    let out = server(&[
        "policy",
        "explain",
        "--config",
        &config,
        "--principal",
        "alice",
        "--attribute",
        "roles=user",
        "--attribute",
        "teams=ml",
        "--attribute",
        "teams=nlp",
        "--action",
        "delete",
        "--resource",
        "model::a::b",
        "--owner",
        "bob",
        "--owner-attribute",
        "teams=ml",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    let decision: Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(
        decision,
        json!({"id": null, "allowed": false, "rule": 1, "reason": "denied by rule 1: only owners delete models"})
    );
    assert_eq!(
        lines[1],
        "user \"alice\" may not delete model::a::b (owned by \"bob\"): denied by rule 1: only owners delete models."
    );

    let out = server(&[
        "policy",
        "explain",
        "--config",
        &config,
        "--path",
        "/v1/health",
    ]);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        serde_json::from_str::<Value>(lines[0]).unwrap(),
        json!({"id": null, "allowed": true, "rule": 0, "reason": "allowed by rule 0"})
    );
    assert_eq!(
        lines[1],
        "an anonymous caller may request \"/v1/health\": allowed by rule 0."
    );

    // A denial still exits 0.
    let out = server(&[
        "policy",
        "explain",
        "--config",
        &config,
        "--principal",
        "alice",
        "--path",
        "/v1/admin",
    ]);
    assert!(out.status.success());
    assert!(text(&out.stdout).contains("\"allowed\": false"));

    for bad in [
        &["--action", "fly", "--resource", "model::m"][..],
        &["--action", "read", "--resource", "model"],
        &["--action", "read"],
        &[
            "--path",
            "/v1/x",
            "--action",
            "read",
            "--resource",
            "model::m",
        ],
        &["--attribute", "roles=admin", "--path", "/v1/x"],
        &[],
    ] {
        let mut args = vec!["policy", "explain", "--config", config.as_str()];
        args.extend_from_slice(bad);
        let out = server(&args);
        assert_eq!(out.status.code(), Some(1), "{bad:?}");
        assert!(out.stdout.is_empty(), "{bad:?}");
        assert!(text(&out.stderr).starts_with("error: "), "{bad:?}");
    }
}

#[test]
fn eval_decides_ten_thousand_cases_in_under_a_second() {
    let dir = TempDir::new("bulk");
    let config = dir.write("config.yaml", CONFIG);
    let mut file = String::new();
    for i in 0..10_000 {
        let user = match i % 5 {
            0 => Value::Null,
            1 => json!({"principal": "admin"}),
            _ => {
                json!({"principal": format!("u{i}"), "attributes": {"roles": ["user"], "teams": ["ml"]}})
            }
        };
        let case = if i % 2 == 0 {
            json!({"id": i, "user": user, "path": format!("/v1/models/m{i}")})
        } else {
            let action = ["create", "read", "update", "delete"][i % 4];
            json!({"id": i, "user": user, "action": action,
                   "resource": {"type": "model", "identifier": format!("m{i}"),
                                "owner": {"principal": "bob", "attributes": {"teams": ["ml"]}}}})
        };
        file.push_str(&case.to_string());
        file.push('\n');
    }
    let cases = dir.write("cases.jsonl", &file);
    // Warm the binary up (page cache), then time one full run.
    let _ = server(&["policy", "check", "--config", &config]);
    let started = Instant::now();
    let out = server(&["policy", "eval", "--config", &config, "--cases", &cases]);
    let elapsed = started.elapsed();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = json_lines(&out);
    assert_eq!(got.len(), 10_000);
    assert!(got.iter().enumerate().all(|(i, l)| l["id"] == json!(i)));
    assert!(
        elapsed < Duration::from_secs(1),
        "10,000 cases took {elapsed:?}"
    );
}

/// `policy test`: expectations checked, each mismatch named, a summary, the
/// rules no case reached; exit 0 / 1 / 2.
#[test]
fn test_checks_expectations_and_reports_coverage() {
    let dir = TempDir::new("test");
    let config = dir.write("config.yaml", CONFIG);
    let admin = r#"{"principal": "admin", "attributes": {"roles": ["admin"]}}"#;
    let alice = r#"{"principal": "alice", "attributes": {"roles": ["user"], "teams": ["ml"]}}"#;
    let holding = dir.write(
        "holding.jsonl",
        &[
            format!(r#"{{"id": "admin-deletes", "user": {admin}, "action": "delete", "resource": {{"type": "model", "identifier": "m"}}, "expect": {{"allowed": true, "rule": 0}}}}"#),
            format!(r#"{{"id": "alice-reads", "user": {alice}, "action": "read", "resource": {{"type": "model", "identifier": "m"}}, "expect": {{"allowed": true}}}}"#),
            String::new(),
            format!(r#"{{"id": "alice-admin-page", "user": {alice}, "path": "/v1/admin/x", "expect": {{"allowed": false, "rule": 1}}}}"#),
        ]
        .join("\n"),
    );
    let out = server(&["policy", "test", "--config", &config, "--cases", &holding]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "3 cases: 3 passed, 0 failed",
            "not reached: server.auth.access_policy[1] (only owners delete models)",
            "not reached: server.auth.access_policy[3]",
            "not reached: server.auth.route_policy[0]",
            "not reached: server.auth.route_policy[2]",
        ]
    );

    // Two files; one expectation fails, named by its case.
    let failing = dir.write(
        "failing.jsonl",
        &[
            format!(r#"{{"id": "alice-deletes", "user": {alice}, "action": "delete", "resource": {{"type": "model", "identifier": "m"}}, "expect": {{"allowed": true, "rule": 3}}}}"#),
            r#"{"id": 7, "user": null, "path": "/v1/health", "expect": {"allowed": false}}"#.to_owned(),
        ]
        .join("\n"),
    );
    let out = server(&[
        "policy", "test", "--config", &config, "--cases", &holding, "--cases", &failing,
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("case alice-deletes: expected allow by rule 3, got deny by rule 1\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("case 7: expected deny, got allow by rule 0\n"),
        "{stdout}"
    );
    assert!(stdout.contains("5 cases: 3 passed, 2 failed\n"), "{stdout}");

    // A bad file: a line without `expect`, a malformed line, a missing file, a bad config.
    let no_expect = dir.write(
        "no-expect.jsonl",
        r#"{"id": "x", "user": null, "path": "/v1/health"}"#,
    );
    let malformed = dir.write("malformed.jsonl", "{\"id\": \n");
    for cases in [
        no_expect.as_str(),
        malformed.as_str(),
        "/does/not/exist.jsonl",
    ] {
        let out = server(&["policy", "test", "--config", &config, "--cases", cases]);
        assert_eq!(out.status.code(), Some(2), "{cases}: {}", text(&out.stderr));
        assert!(
            text(&out.stderr).starts_with("error: "),
            "{}",
            text(&out.stderr)
        );
    }
    let bad_config = dir.write(
        "bad.yaml",
        "server:\n  auth:\n    access_policy: [{permit: {actions: [fly]}}]\n",
    );
    let out = server(&[
        "policy",
        "test",
        "--config",
        &bad_config,
        "--cases",
        &holding,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

/// An admin (rule 0 of `CONFIG` permits it anything) of one tenant, on a model
/// owned in another: denied before any rule. Every combination of the user's
/// and the owner's tenant (absent, null, equal, different), through the binary.
#[test]
fn eval_decides_with_tenants_on_every_combination() {
    let dir = TempDir::new("tenants");
    let config = dir.write("config.yaml", CONFIG);
    // None: the key is left out.
    let tenants: [Option<Value>; 5] = [
        None,
        Some(Value::Null),
        Some(json!("acme")),
        Some(json!("  Acme")),
        Some(json!("globex")),
    ];
    let person = |principal: &str, attributes: Value, tenant: &Option<Value>| {
        let mut p = json!({"principal": principal, "attributes": attributes});
        if let Some(t) = tenant {
            p["tenant_id"] = t.clone();
        }
        p
    };
    let tenant_of = |t: &Option<Value>| {
        t.as_ref()
            .and_then(Value::as_str)
            .map(|s| s.trim().to_lowercase())
    };
    let mut file = String::new();
    let mut expected = Vec::new();
    for (i, user_tenant) in tenants.iter().enumerate() {
        let admin = person("admin", json!({"roles": ["admin"]}), user_tenant);
        // An unowned model first: no owner, no mismatch.
        let id = format!("u{i}-unowned");
        file.push_str(&format!(
            "{}\n",
            json!({"id": id, "user": admin, "action": "read",
                   "resource": {"type": "model", "identifier": "m"}})
        ));
        expected.push((id, false));
        for (j, owner_tenant) in tenants.iter().enumerate() {
            let owner = person("bob", json!({"teams": ["ml"]}), owner_tenant);
            let id = format!("u{i}-o{j}");
            file.push_str(&format!(
                "{}\n",
                json!({"id": id, "user": admin, "action": "delete",
                       "resource": {"type": "model", "identifier": "m", "owner": owner}})
            ));
            let mismatch = matches!(
                (tenant_of(user_tenant), tenant_of(owner_tenant)),
                (Some(u), Some(o)) if u != o
            );
            expected.push((id, mismatch));
        }
    }
    let cases = dir.write("cases.jsonl", &file);
    let out = server(&["policy", "eval", "--config", &config, "--cases", &cases]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = json_lines(&out);
    assert_eq!(got.len(), expected.len(), "{}", text(&out.stdout));
    assert_eq!(expected.iter().filter(|(_, m)| *m).count(), 4);
    for (line, (id, mismatch)) in got.iter().zip(&expected) {
        let want = if *mismatch {
            json!({"id": id, "allowed": false, "rule": null, "reason": "denied: tenant scope mismatch"})
        } else {
            json!({"id": id, "allowed": true, "rule": 0, "reason": "allowed by rule 0: the admin does anything"})
        };
        assert_eq!(line, &want);
    }
    // The exact line of a mismatch, key order and spacing as documented.
    assert!(
        text(&out.stdout).contains(
            "{\"id\": \"u2-o4\", \"allowed\": false, \"rule\": null, \"reason\": \"denied: tenant scope mismatch\"}\n"
        ),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn explain_names_a_tenant_mismatch_as_the_deciding_reason() {
    let dir = TempDir::new("explain-tenant");
    let config = dir.write("config.yaml", CONFIG);
    let explain = |user_tenant: &str, owner_tenant: &str| {
        server(&[
            "policy",
            "explain",
            "--config",
            &config,
            "--principal",
            "admin",
            "--attribute",
            "roles=admin",
            "--tenant-id",
            user_tenant,
            "--action",
            "read",
            "--resource",
            "model::m1",
            "--owner",
            "bob",
            "--owner-tenant-id",
            owner_tenant,
        ])
    };
    let out = explain("acme", "Globex");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(
        stdout,
        "{\"id\": null, \"allowed\": false, \"rule\": null, \"reason\": \"denied: tenant scope mismatch\"}\n\
         user \"admin\" of tenant \"acme\" may not read model::m1 (owned by \"bob\" of tenant \"globex\"): \
         denied: tenant scope mismatch, before any rule.\n"
    );
    let out = explain("ACME", "acme");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "{\"id\": null, \"allowed\": true, \"rule\": 0, \"reason\": \"allowed by rule 0: the admin does anything\"}\n\
         user \"admin\" of tenant \"acme\" may read model::m1 (owned by \"bob\" of tenant \"acme\"): \
         allowed by rule 0: the admin does anything.\n"
    );

    // A malformed tenant: exit 1, the flag named, the value not repeated.
    let out = explain("acme", "globex/secret");
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: --owner-tenant-id: the tenant id may hold only"),
        "{stderr}"
    );
    assert!(!stderr.contains("secret"), "{stderr}");
    // A tenant without the user or owner it belongs to.
    for bad in [
        &["--tenant-id", "acme", "--path", "/v1/x"][..],
        &[
            "--action",
            "read",
            "--resource",
            "model::m",
            "--owner-tenant-id",
            "acme",
        ],
        &[
            "--principal",
            "a",
            "--path",
            "/v1/x",
            "--owner",
            "b",
            "--owner-tenant-id",
            "acme",
        ],
    ] {
        let mut args = vec!["policy", "explain", "--config", config.as_str()];
        args.extend_from_slice(bad);
        let out = server(&args);
        assert_eq!(out.status.code(), Some(1), "{bad:?}");
        assert!(text(&out.stderr).starts_with("error: "), "{bad:?}");
    }
}

#[test]
fn a_malformed_tenant_id_is_a_bad_case_naming_the_case_and_the_field() {
    let dir = TempDir::new("tenant-bad");
    let config = dir.write("config.yaml", CONFIG);
    let cases = dir.write(
        "cases.jsonl",
        concat!(
            r#"{"id": "good", "user": {"principal": "admin", "tenant_id": "acme"}, "action": "read", "resource": {"type": "model", "identifier": "m", "owner": {"principal": "bob", "tenant_id": "acme"}}}"#,
            "\n",
            r#"{"id": "bad-user", "user": {"principal": "admin", "tenant_id": "ac me"}, "action": "read", "resource": {"type": "model", "identifier": "m"}}"#,
            "\n",
            r#"{"id": 3, "user": {"principal": "admin"}, "action": "read", "resource": {"type": "model", "identifier": "m", "owner": {"principal": "bob", "tenant_id": true}}}"#,
            "\n",
        ),
    );
    let out = server(&["policy", "eval", "--config", &config, "--cases", &cases]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let got = json_lines(&out);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["id"], "good");
    assert_eq!(
        text(&out.stderr),
        "line 2: case \"bad-user\": user.tenant_id: the tenant id may hold only a-z, 0-9, '_' and '-', \
         and starts with a letter or a digit\n\
         line 3: case 3: resource.owner.tenant_id: expected a string or null\n\
         error: 2 malformed lines\n"
    );

    // `policy test`: the same lines make a bad file (exit 2).
    let with_expect = dir.write(
        "test.jsonl",
        r#"{"id": "bad-user", "user": {"principal": "admin", "tenant_id": "ac me"}, "action": "read", "resource": {"type": "model", "identifier": "m"}, "expect": {"allowed": true}}"#,
    );
    let out = server(&[
        "policy",
        "test",
        "--config",
        &config,
        "--cases",
        &with_expect,
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with(&format!(
            "error: {with_expect} line 1: case \"bad-user\": user.tenant_id: "
        )),
        "{stderr}"
    );
}

#[test]
fn test_expectations_hold_on_tenant_cases() {
    let dir = TempDir::new("test-tenant");
    let config = dir.write("config.yaml", CONFIG);
    let admin = |tenant: &str| {
        format!(
            r#"{{"principal": "admin", "attributes": {{"roles": ["admin"]}}, "tenant_id": "{tenant}"}}"#
        )
    };
    let model = |tenant: &str| {
        format!(
            r#"{{"type": "model", "identifier": "m", "owner": {{"principal": "bob", "tenant_id": "{tenant}"}}}}"#
        )
    };
    let holding = dir.write(
        "holding.jsonl",
        &[
            format!(r#"{{"id": "cross", "user": {}, "action": "read", "resource": {}, "expect": {{"allowed": false, "tenant_mismatch": true}}}}"#, admin("acme"), model("globex")),
            format!(r#"{{"id": "cross-plain", "user": {}, "action": "delete", "resource": {}, "expect": {{"allowed": false}}}}"#, admin("acme"), model("globex")),
            format!(r#"{{"id": "same", "user": {}, "action": "delete", "resource": {}, "expect": {{"allowed": true, "rule": 0, "tenant_mismatch": false}}}}"#, admin("acme"), model("ACME")),
        ]
        .join("\n"),
    );
    let out = server(&["policy", "test", "--config", &config, "--cases", &holding]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.starts_with("3 cases: 3 passed, 0 failed\n"),
        "{stdout}"
    );

    let failing = dir.write(
        "failing.jsonl",
        &[
            format!(r#"{{"id": "cross-by-rule", "user": {}, "action": "read", "resource": {}, "expect": {{"allowed": true, "rule": 0}}}}"#, admin("acme"), model("globex")),
            format!(r#"{{"id": "same-as-cross", "user": {}, "action": "read", "resource": {}, "expect": {{"allowed": false, "tenant_mismatch": true}}}}"#, admin("acme"), model("acme")),
        ]
        .join("\n"),
    );
    let out = server(&["policy", "test", "--config", &config, "--cases", &failing]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "case cross-by-rule: expected allow by rule 0, got deny (denied: tenant scope mismatch)",
            "case same-as-cross: expected deny by tenant scope mismatch, got allow by rule 0",
            "2 cases: 0 passed, 2 failed",
        ]
    );
}
