//! `policy check | eval | explain`: the config's access and route policies
//! from the command line, compiled once, decided as the server decides.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Deserialize;
use serde::de::Deserializer;
use serde_json::Value;

use crate::authz::{Action, Decision, Produced, Resource};
use crate::config::ConfigErrors;
use crate::principal::{Attributes, User};
use crate::settings::Settings;

/// The policy commands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Validate a config's `server.auth.access_policy` and `route_policy` and lint them.
    ///
    /// Errors name the field (`server.auth.access_policy[2].when`) and exit 1.
    /// Warnings (`warning: ...`, on stderr) flag rules that load but cannot do
    /// what they seem to: shadowed rules, a forbid after a catch-all permit,
    /// conditions on attributes the provider never produces, and llama-stack's
    /// footguns. Exit 0 when the config loads, warnings or not.
    Check(CheckArgs),
    /// Decide a file of cases, one JSON object per line.
    ///
    /// A resource case: `{"id": "c1", "user": {"principal": "alice",
    /// "attributes": {"roles": ["admin"]}} | null, "action": "read",
    /// "resource": {"type": "model", "identifier": "m1", "owner": {...} | null}}`
    /// (`user: null`: authentication off). A route case: `{"id": "r1",
    /// "user": {...} | null, "path": "/v1/models"}` (`user: null`: an
    /// anonymous caller). Prints one line per case, in order:
    /// `{"id": "c1", "allowed": true, "rule": 2, "reason": "..."}` (`rule`:
    /// the deciding rule's index, or null). A bad line is reported on stderr
    /// as `line N: ...` and the run exits 1 after deciding the others; blank
    /// lines are skipped.
    Eval(EvalArgs),
    /// Decide one case given by flags: the same JSON line as `eval`, then a sentence.
    ///
    /// A route case: `--path PATH`. A resource case: `--action ACTION
    /// --resource TYPE::ID`, optionally `--owner NAME` and repeated
    /// `--owner-attribute KEY=VALUE`. The caller: `--principal NAME` and
    /// repeated `--attribute KEY=VALUE` (a key given twice accumulates
    /// values); without `--principal`, no user. Exit 0 when decided (allowed
    /// or not), 1 on bad input.
    Explain(ExplainArgs),
}

impl PolicyCommand {
    /// The `--config` of the command.
    pub fn config(&self) -> Option<&PathBuf> {
        match self {
            PolicyCommand::Check(a) => a.config.as_ref(),
            PolicyCommand::Eval(a) => a.config.as_ref(),
            PolicyCommand::Explain(a) => a.config.as_ref(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Server config (llama-stack `run.yaml` shape) [default: the app's own].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Server config (llama-stack `run.yaml` shape) [default: the app's own].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The cases, one JSON object per line; `-` reads stdin.
    #[arg(long, value_name = "FILE.jsonl")]
    pub cases: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// Server config (llama-stack `run.yaml` shape) [default: the app's own].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The caller's principal; leave out for no user.
    #[arg(long, value_name = "NAME")]
    pub principal: Option<String>,
    /// An attribute of the caller; repeat to add values or keys.
    #[arg(long = "attribute", value_name = "KEY=VALUE")]
    pub attributes: Vec<String>,
    /// A route case: the request path (percent-decoded).
    #[arg(long, value_name = "PATH", allow_hyphen_values = true)]
    pub path: Option<String>,
    /// A resource case: create, read, update or delete.
    #[arg(long, value_name = "ACTION")]
    pub action: Option<String>,
    /// A resource case: the resource, split at the first `::`.
    #[arg(long, value_name = "TYPE::ID", allow_hyphen_values = true)]
    pub resource: Option<String>,
    /// The resource's owner; leave out for an unowned resource.
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
    /// An attribute of the owner; repeat to add values or keys.
    #[arg(long = "owner-attribute", value_name = "KEY=VALUE")]
    pub owner_attributes: Vec<String>,
}

/// Runs a policy command on a config, checked and compiled (or the errors
/// that stopped it). `source` names the config in messages.
pub fn run(
    command: &PolicyCommand,
    settings: Result<Settings, ConfigErrors>,
    source: &str,
) -> ExitCode {
    let settings = match settings {
        Ok(settings) => settings,
        Err(e) => return fail(&e),
    };
    match command {
        PolicyCommand::Check(_) => check(&settings, source),
        PolicyCommand::Eval(args) => eval(&settings, &args.cases),
        PolicyCommand::Explain(args) => explain(&settings, args),
    }
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::FAILURE
}

fn check(settings: &Settings, source: &str) -> ExitCode {
    let mut warnings: Vec<String> = settings.warnings.clone();
    warnings.extend(settings.lint.iter().map(ToString::to_string));
    let stderr = io::stderr();
    let mut err = stderr.lock();
    for w in &warnings {
        let _ = writeln!(err, "warning: {w}");
    }
    let access = if settings.access.is_default() {
        "access_policy: default policy".to_owned()
    } else {
        format!("access_policy: {}", rules(settings.access.rules().len()))
    };
    let route = if settings.routes.is_empty() {
        "route_policy: none (every route allowed)".to_owned()
    } else {
        format!("route_policy: {}", rules(settings.routes.rules().len()))
    };
    let provider = match settings.produced {
        Produced::NoProvider => "authentication off",
        _ => "authentication on",
    };
    let count = match warnings.len() {
        0 => "no warnings".to_owned(),
        1 => "1 warning".to_owned(),
        n => format!("{n} warnings"),
    };
    println!("OK: {source}: {access}, {route}, {provider}; {count}");
    ExitCode::SUCCESS
}

fn rules(n: usize) -> String {
    if n == 1 {
        "1 rule".to_owned()
    } else {
        format!("{n} rules")
    }
}

/// A user as a case gives it.
#[derive(Deserialize)]
struct UserIn {
    principal: String,
    #[serde(default)]
    attributes: Option<Attributes>,
}

impl UserIn {
    fn into_user(self) -> User {
        User::new(self.principal, self.attributes.unwrap_or_default())
    }
}

#[derive(Deserialize)]
struct ResourceIn {
    #[serde(rename = "type")]
    kind: String,
    identifier: String,
    #[serde(default)]
    owner: Option<UserIn>,
}

/// One line of a cases file, before it is told apart.
#[derive(Deserialize)]
struct CaseIn {
    id: Value,
    /// Present, maybe null.
    #[serde(default, deserialize_with = "present")]
    user: Option<Option<UserIn>>,
    #[serde(default)]
    action: Option<String>,
    #[serde(default)]
    resource: Option<ResourceIn>,
    #[serde(default)]
    path: Option<String>,
}

/// `Some(None)` for an explicit null, `None` (by `default`) when missing.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A case, checked.
enum Case {
    Resource {
        user: Option<User>,
        action: Action,
        kind: String,
        identifier: String,
        owner: Option<User>,
    },
    Route {
        user: Option<User>,
        path: String,
    },
}

impl Case {
    fn decide<'p>(&self, policies: &'p Settings) -> Decision<'p> {
        match self {
            Case::Resource {
                user,
                action,
                kind,
                identifier,
                owner,
            } => policies.access.decide(
                *action,
                &Resource {
                    kind,
                    identifier,
                    owner: owner.as_ref(),
                },
                user.as_ref(),
            ),
            Case::Route { user, path } => policies.routes.decide(path, user.as_ref()),
        }
    }
}

/// Parses one line of a cases file into its id and case.
fn parse_case(line: &[u8]) -> Result<(Value, Case), String> {
    let raw: CaseIn = serde_json::from_slice(line).map_err(json_problem)?;
    let Some(user) = raw.user else {
        return Err("missing field `user` (null for no user)".to_owned());
    };
    let user = user.map(UserIn::into_user);
    let case = match (raw.path, raw.action, raw.resource) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(
                "a case has `path` (a route case) or `action` and `resource` (a resource case), \
                 not both"
                    .to_owned(),
            );
        }
        (Some(path), None, None) => Case::Route { user, path },
        (None, Some(action), Some(resource)) => Case::Resource {
            user,
            action: action.parse()?,
            kind: resource.kind,
            identifier: resource.identifier,
            owner: resource.owner.map(UserIn::into_user),
        },
        (None, Some(_), None) => return Err("missing field `resource`".to_owned()),
        (None, None, Some(_)) => return Err("missing field `action`".to_owned()),
        (None, None, None) => {
            return Err(
                "missing field `path` (a route case) or `action` and `resource` (a resource case)"
                    .to_owned(),
            );
        }
    };
    Ok((raw.id, case))
}

/// serde_json's message without its `at line 1`: a case is one line.
fn json_problem(e: serde_json::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" at line ") {
        Some(at) => format!("{} at column {}", &text[..at], e.column()),
        None => text,
    };
    if e.is_syntax() || e.is_eof() {
        format!("invalid JSON: {text}")
    } else {
        text
    }
}

/// Writes a decision as one JSON line.
fn write_decision(out: &mut impl Write, id: &Value, decision: &Decision<'_>) -> io::Result<()> {
    out.write_all(b"{\"id\": ")?;
    serde_json::to_writer(&mut *out, id)?;
    out.write_all(if decision.allowed {
        b", \"allowed\": true, \"rule\": "
    } else {
        b", \"allowed\": false, \"rule\": "
    })?;
    match decision.rule {
        Some(rule) => write!(out, "{rule}")?,
        None => out.write_all(b"null")?,
    }
    out.write_all(b", \"reason\": ")?;
    serde_json::to_writer(&mut *out, &decision.reason())?;
    out.write_all(b"}\n")
}

/// Decides every case of `input`, writing one line per good case to `out` and
/// `line N: problem` per bad one to `err`. Returns the number of bad lines.
pub fn eval_cases(
    policies: &Settings,
    mut input: impl BufRead,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<usize> {
    let mut line = Vec::with_capacity(256);
    let mut number = 0usize;
    let mut bad = 0usize;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        number += 1;
        let text = line.trim_ascii();
        if text.is_empty() {
            continue;
        }
        match parse_case(text) {
            Ok((id, case)) => write_decision(out, &id, &case.decide(policies))?,
            Err(problem) => {
                bad += 1;
                writeln!(err, "line {number}: {problem}")?;
            }
        }
    }
    Ok(bad)
}

fn eval(policies: &Settings, cases: &Path) -> ExitCode {
    let stdin = io::stdin();
    let input: Box<dyn BufRead> = if cases == Path::new("-") {
        Box::new(stdin.lock())
    } else {
        match File::open(cases) {
            Ok(file) => Box::new(BufReader::with_capacity(64 * 1024, file)),
            Err(e) => return fail(&format!("cannot read {}: {e}", cases.display())),
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(64 * 1024, stdout.lock());
    let stderr = io::stderr();
    let mut err = stderr.lock();
    let result = eval_cases(policies, input, &mut out, &mut err).and_then(|bad| {
        out.flush()?;
        Ok(bad)
    });
    match result {
        Ok(0) => ExitCode::SUCCESS,
        Ok(bad) => {
            let _ = writeln!(
                err,
                "error: {bad} malformed line{}",
                if bad == 1 { "" } else { "s" }
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            let _ = out.flush();
            fail(&format!("reading {}: {e}", cases.display()))
        }
    }
}

/// `KEY=VALUE` flags into attributes; a key repeated accumulates.
fn attributes(flag: &str, pairs: &[String]) -> Result<Attributes, String> {
    let mut out = Attributes::new();
    for pair in pairs {
        match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => {
                out.entry(key.to_owned())
                    .or_default()
                    .push(value.to_owned());
            }
            _ => return Err(format!("{flag} {pair:?}: expected KEY=VALUE")),
        }
    }
    Ok(out)
}

/// The case the flags of `explain` describe.
fn explain_case(args: &ExplainArgs) -> Result<Case, String> {
    let user = match &args.principal {
        Some(p) => Some(User::new(
            p.clone(),
            attributes("--attribute", &args.attributes)?,
        )),
        None if !args.attributes.is_empty() => {
            return Err("--attribute needs --principal (without it there is no user)".to_owned());
        }
        None => None,
    };
    match (&args.path, &args.action, &args.resource) {
        (Some(path), None, None) => {
            if args.owner.is_some() || !args.owner_attributes.is_empty() {
                return Err("--owner and --owner-attribute are for resource cases".to_owned());
            }
            Ok(Case::Route {
                user,
                path: path.clone(),
            })
        }
        (None, Some(action), Some(resource)) => {
            let action: Action = action.parse()?;
            let Some((kind, identifier)) = resource.split_once("::") else {
                return Err(format!("--resource {resource:?}: expected TYPE::ID"));
            };
            let owner = match &args.owner {
                Some(o) => Some(User::new(
                    o.clone(),
                    attributes("--owner-attribute", &args.owner_attributes)?,
                )),
                None if !args.owner_attributes.is_empty() => {
                    return Err("--owner-attribute needs --owner".to_owned());
                }
                None => None,
            };
            Ok(Case::Resource {
                user,
                action,
                kind: kind.to_owned(),
                identifier: identifier.to_owned(),
                owner,
            })
        }
        (Some(_), _, _) => {
            Err("give --path (a route case) or --action and --resource, not both".to_owned())
        }
        (None, Some(_), None) => Err("--action needs --resource TYPE::ID".to_owned()),
        (None, None, Some(_)) => Err("--resource needs --action ACTION".to_owned()),
        (None, None, None) => Err(
            "give --path PATH (a route case) or --action ACTION --resource TYPE::ID (a resource case)"
                .to_owned(),
        ),
    }
}

/// The decision as a sentence.
fn sentence(case: &Case, decision: &Decision<'_>) -> String {
    let may = if decision.allowed { "may" } else { "may not" };
    match case {
        Case::Resource {
            user,
            action,
            kind,
            identifier,
            owner,
        } => {
            let who = match user {
                Some(u) => format!("user {:?}", u.principal),
                None => "with authentication off, anyone".to_owned(),
            };
            let owned = match owner {
                Some(o) => format!("owned by {:?}", o.principal),
                None => "unowned".to_owned(),
            };
            format!(
                "{who} {may} {action} {kind}::{identifier} ({owned}): {}.",
                decision.reason()
            )
        }
        Case::Route { user, path } => {
            let who = match user {
                Some(u) => format!("user {:?}", u.principal),
                None => "an anonymous caller".to_owned(),
            };
            format!("{who} {may} request {path:?}: {}.", decision.reason())
        }
    }
}

fn explain(policies: &Settings, args: &ExplainArgs) -> ExitCode {
    let case = match explain_case(args) {
        Ok(case) => case,
        Err(e) => return fail(&e),
    };
    let decision = case.decide(policies);
    let mut line = Vec::new();
    if let Err(e) = write_decision(&mut line, &Value::Null, &decision) {
        return fail(&e);
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let written = out
        .write_all(&line)
        .and_then(|()| writeln!(out, "{}", sentence(&case, &decision)))
        .and_then(|()| out.flush());
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            &Resource {
                kind: "model",
                identifier: "m",
                owner: None,
            },
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
}
