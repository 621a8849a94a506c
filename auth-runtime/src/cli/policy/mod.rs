//! `policy check | eval | explain | test`: the config's access and route policies
//! from the command line, compiled once, decided as the server decides.

mod case;
mod eval;
mod explain;
mod test;
#[cfg(test)]
mod tests;

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use crate::authz::Produced;
use crate::config::ConfigErrors;
use crate::security::settings::Settings;

use eval::eval;
#[cfg(test)]
use eval::eval_cases;

use explain::explain;

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
    /// anonymous caller). The user and the owner may carry `"tenant_id":
    /// "acme"` (absent or null: no tenant; trimmed and lower-cased); an
    /// owner and a user in different tenants is denied before any rule
    /// (`"rule": null, "reason": "denied: tenant scope mismatch"`). Prints one
    /// line per case, in order:
    /// `{"id": "c1", "allowed": true, "rule": 2, "reason": "..."}` (`rule`:
    /// the deciding rule's index, or null). A bad line (a malformed
    /// `tenant_id` too) is reported on stderr as `line N: ...` and the run
    /// exits 1 after deciding the others; blank lines are skipped.
    Eval(EvalArgs),
    /// Decide one case given by flags: the same JSON line as `eval`, then a sentence.
    ///
    /// A route case: `--path PATH`. A resource case: `--action ACTION
    /// --resource TYPE::ID`, optionally `--owner NAME`, repeated
    /// `--owner-attribute KEY=VALUE` and `--owner-tenant-id ID`. The caller:
    /// `--principal NAME`, repeated `--attribute KEY=VALUE` (a key given
    /// twice accumulates values) and `--tenant-id ID`; without
    /// `--principal`, no user. A tenant scope mismatch is named as the
    /// deciding reason (`"rule": null`). Exit 0 when decided (allowed or
    /// not), 1 on bad input.
    Explain(ExplainArgs),
    /// Test the policies: the cases of `eval`, each with what it expects.
    ///
    /// Each line is a case of `eval` with `"expect": {"allowed": true|false,
    /// "rule": N, "tenant_mismatch": true|false}` (`rule`, the index of the
    /// deciding rule, and `tenant_mismatch`, whether the case is denied
    /// before any rule for a tenant scope mismatch, may be left out). Prints each mismatch (`case c1: expected deny by rule 2, got
    /// allow by rule 5`), a summary line, and every rule that decided no
    /// case (`not reached: server.auth.access_policy[3]`). Exit 0 when every
    /// expectation holds, 1 when one does not, 2 on a bad file (unreadable,
    /// a malformed line, a config that does not load).
    Test(TestArgs),
}

impl PolicyCommand {
    /// The `--config` of the command.
    pub fn config(&self) -> Option<&PathBuf> {
        match self {
            PolicyCommand::Check(a) => a.config.as_ref(),
            PolicyCommand::Eval(a) => a.config.as_ref(),
            PolicyCommand::Explain(a) => a.config.as_ref(),
            PolicyCommand::Test(a) => a.config.as_ref(),
        }
    }
}

/// Options of `policy check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Server config (llama-stack `run.yaml` shape) [default: the app's own].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Options of `policy eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Server config (llama-stack `run.yaml` shape) [default: the app's own].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The cases, one JSON object per line; `-` reads stdin.
    #[arg(long, value_name = "FILE.jsonl")]
    pub cases: PathBuf,
}

/// Options of `policy test`.
#[derive(Debug, Clone, Args)]
pub struct TestArgs {
    /// Server config (llama-stack `run.yaml` shape) [default: the app's own].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Cases with expectations, one JSON object per line; repeat for
    /// several files; `-` reads stdin.
    #[arg(long, value_name = "FILE.jsonl", required = true)]
    pub cases: Vec<PathBuf>,
}

/// Options of `policy explain`.
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
    /// The caller's tenant (trimmed, lower-cased); leave out for none.
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    pub tenant_id: Option<String>,
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
    /// The owner's tenant (trimmed, lower-cased); leave out for none.
    #[arg(long, value_name = "ID", allow_hyphen_values = true)]
    pub owner_tenant_id: Option<String>,
}

/// Runs a policy command on a config, checked and compiled (or the errors
/// that stopped it). `source` names the config in messages.
pub(crate) fn run(
    command: &PolicyCommand,
    settings: Result<Settings, ConfigErrors>,
    source: &str,
) -> ExitCode {
    let settings = match settings {
        Ok(settings) => settings,
        // For `test`, a config that does not load is a bad file too.
        Err(e) if matches!(command, PolicyCommand::Test(_)) => return test::bad(&e.to_string()),
        Err(e) => return fail(&e),
    };
    match command {
        PolicyCommand::Check(_) => check(&settings, source),
        PolicyCommand::Eval(args) => eval(&settings, &args.cases),
        PolicyCommand::Explain(args) => explain(&settings, args),
        PolicyCommand::Test(args) => test::test(&settings, &args.cases),
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
