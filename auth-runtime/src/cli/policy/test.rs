//! `policy test`: the cases of `policy eval`, each with what it expects;
//! every mismatch named, a summary, and the rules no case reached.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Deserialize;
use serde_json::Value;

use super::case::{Case, CaseError, parse_case};
use crate::authz::{Basis, Decision};
use crate::security::settings::Settings;

/// What a case expects.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    allowed: bool,
    /// The index of the deciding rule, when the case pins it.
    #[serde(default)]
    rule: Option<usize>,
    /// Whether the decision is a tenant scope mismatch (a denial before any
    /// rule), when the case pins it.
    #[serde(default)]
    tenant_mismatch: Option<bool>,
}

#[derive(Deserialize)]
struct WithExpect {
    expect: Option<Expect>,
}

/// The rules that decided at least one case, by policy.
#[derive(Default)]
struct Reached {
    access: BTreeSet<usize>,
    routes: BTreeSet<usize>,
}

/// The outcome of the files: failed expectations, checked cases.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Outcome {
    /// The cases checked, in every file.
    pub cases: usize,
    /// The cases whose expectation did not hold.
    pub failed: usize,
}

/// Why the files could not be tested (exit 2).
#[derive(Debug)]
pub(super) struct BadFile(pub String);

/// Tests every case of `inputs` (a name and its lines each), writing each
/// mismatch, the summary and the unreached rules to `out`.
pub(super) fn test_cases(
    policies: &Settings,
    inputs: Vec<(String, Box<dyn BufRead + '_>)>,
    out: &mut impl Write,
) -> Result<Outcome, BadFile> {
    let mut outcome = Outcome::default();
    let mut reached = Reached::default();
    let mut problems = Vec::new();
    for (name, mut input) in inputs {
        let mut line = Vec::with_capacity(256);
        let mut number = 0usize;
        loop {
            line.clear();
            match input.read_until(b'\n', &mut line) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(BadFile(format!("{name}: {e}"))),
            }
            number += 1;
            let text = line.trim_ascii();
            if text.is_empty() {
                continue;
            }
            match check_line(policies, text, &mut reached) {
                Ok(None) => outcome.cases += 1,
                Ok(Some(mismatch)) => {
                    outcome.cases += 1;
                    outcome.failed += 1;
                    writeln!(out, "{mismatch}").map_err(|e| BadFile(e.to_string()))?;
                }
                Err(problem) => problems.push(format!("{name} line {number}: {problem}")),
            }
        }
    }
    if !problems.is_empty() {
        return Err(BadFile(problems.join("\n")));
    }
    let write = |out: &mut dyn Write, text: String| {
        writeln!(out, "{text}").map_err(|e| BadFile(e.to_string()))
    };
    write(
        out,
        format!(
            "{} cases: {} passed, {} failed",
            outcome.cases,
            outcome.cases - outcome.failed,
            outcome.failed
        ),
    )?;
    for unreached in unreached(policies, &reached) {
        write(out, unreached)?;
    }
    Ok(outcome)
}

/// `Ok(None)` when the case holds, `Ok(Some(mismatch))` when not.
fn check_line(
    policies: &Settings,
    line: &[u8],
    reached: &mut Reached,
) -> Result<Option<String>, CaseError> {
    let (id, case) = parse_case(line)?;
    let expect = serde_json::from_slice::<WithExpect>(line)
        .map_err(CaseError::Expect)?
        .expect
        .ok_or(CaseError::NoExpect)?;
    if expect.tenant_mismatch == Some(true) && (expect.allowed || expect.rule.is_some()) {
        return Err(CaseError::ExpectMismatch);
    }
    let decision = case.decide(policies);
    if let Some(rule) = decision.rule {
        match case {
            Case::Resource { .. } => reached.access.insert(rule),
            Case::Route { .. } => reached.routes.insert(rule),
        };
    }
    let mismatch = decision.basis == Basis::TenantMismatch;
    let holds = decision.allowed == expect.allowed
        && expect.rule.is_none_or(|rule| decision.rule == Some(rule))
        && expect.tenant_mismatch.is_none_or(|m| m == mismatch);
    Ok((!holds).then(|| {
        format!(
            "case {}: expected {}, got {}",
            show_id(&id),
            expected(&expect),
            got(&decision)
        )
    }))
}

fn verdict(allowed: bool) -> &'static str {
    if allowed { "allow" } else { "deny" }
}

fn expected(expect: &Expect) -> String {
    match (expect.rule, expect.tenant_mismatch) {
        (_, Some(true)) => "deny by tenant scope mismatch".to_owned(),
        (Some(rule), Some(false)) => format!(
            "{} by rule {rule}, no tenant scope mismatch",
            verdict(expect.allowed)
        ),
        (None, Some(false)) => format!("{}, no tenant scope mismatch", verdict(expect.allowed)),
        (Some(rule), None) => format!("{} by rule {rule}", verdict(expect.allowed)),
        (None, None) => verdict(expect.allowed).to_owned(),
    }
}

fn got(decision: &Decision<'_>) -> String {
    match decision.rule {
        Some(rule) => format!("{} by rule {rule}", verdict(decision.allowed)),
        None => format!("{} ({})", verdict(decision.allowed), decision.reason()),
    }
}

/// A string id as written, anything else as JSON.
fn show_id(id: &Value) -> String {
    match id {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// One line per configured rule that decided no case.
fn unreached(policies: &Settings, reached: &Reached) -> Vec<String> {
    let mut out = Vec::new();
    let mut list = |policy: &str, descriptions: Vec<Option<&str>>, reached: &BTreeSet<usize>| {
        for (i, description) in descriptions.into_iter().enumerate() {
            if !reached.contains(&i) {
                out.push(match description {
                    Some(d) => format!("not reached: server.auth.{policy}[{i}] ({d})"),
                    None => format!("not reached: server.auth.{policy}[{i}]"),
                });
            }
        }
    };
    if !policies.access.is_default() {
        let rules = policies.access.rules();
        list(
            "access_policy",
            rules.iter().map(|r| r.description.as_deref()).collect(),
            &reached.access,
        );
    }
    let rules = policies.routes.rules();
    list(
        "route_policy",
        rules.iter().map(|r| r.description.as_deref()).collect(),
        &reached.routes,
    );
    out
}

pub(super) fn test(policies: &Settings, files: &[PathBuf]) -> ExitCode {
    let stdin = io::stdin();
    let mut inputs: Vec<(String, Box<dyn BufRead>)> = Vec::with_capacity(files.len());
    for file in files {
        if file == Path::new("-") {
            inputs.push(("stdin".to_owned(), Box::new(stdin.lock())));
            continue;
        }
        match File::open(file) {
            Ok(f) => inputs.push((file.display().to_string(), Box::new(BufReader::new(f)))),
            Err(e) => return bad(&format!("cannot read {}: {e}", file.display())),
        }
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    match test_cases(policies, inputs, &mut out) {
        Ok(Outcome { failed: 0, .. }) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(BadFile(problem)) => bad(&problem),
    }
}

/// Exit 2: the files could not be tested.
pub(super) fn bad(problem: &str) -> ExitCode {
    eprintln!("error: {problem}");
    ExitCode::from(2)
}
