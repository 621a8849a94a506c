//! `policy explain`: one case from the command line, decided and explained.

use std::io::{self, Write};
use std::process::ExitCode;

use serde_json::Value;

use super::case::{Case, CaseError, flag_user};
use super::eval::write_decision;
use super::{ExplainArgs, fail};
use crate::authz::{Action, Basis, Decision};
use crate::principal::{Attributes, User};
use crate::security::settings::Settings;
/// `KEY=VALUE` flags into attributes; a key repeated accumulates.
fn attributes(flag: &'static str, pairs: &[String]) -> Result<Attributes, CaseError> {
    let mut out = Attributes::new();
    for pair in pairs {
        match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => {
                out.entry(key.to_owned())
                    .or_default()
                    .push(value.to_owned());
            }
            _ => {
                return Err(CaseError::Pair {
                    flag,
                    pair: pair.clone(),
                });
            }
        }
    }
    Ok(out)
}

/// The case the flags of `explain` describe.
pub(super) fn explain_case(args: &ExplainArgs) -> Result<Case, CaseError> {
    let user = match &args.principal {
        Some(p) => Some(flag_user(
            p,
            attributes("--attribute", &args.attributes)?,
            args.tenant_id.as_deref(),
            "--tenant-id",
        )?),
        None if !args.attributes.is_empty() || args.tenant_id.is_some() => {
            return Err(CaseError::Flags(
                "--attribute and --tenant-id need --principal (without it there is no user)",
            ));
        }
        None => None,
    };
    match (&args.path, &args.action, &args.resource) {
        (Some(path), None, None) => {
            if args.owner.is_some()
                || !args.owner_attributes.is_empty()
                || args.owner_tenant_id.is_some()
            {
                return Err(CaseError::Flags(
                    "--owner, --owner-attribute and --owner-tenant-id are for resource cases",
                ));
            }
            Ok(Case::Route {
                user,
                path: path.clone(),
            })
        }
        (None, Some(action), Some(resource)) => {
            let action: Action = action.parse()?;
            let Some((kind, identifier)) = resource.split_once("::") else {
                return Err(CaseError::Resource(resource.clone()));
            };
            let owner = match &args.owner {
                Some(o) => Some(flag_user(
                    o,
                    attributes("--owner-attribute", &args.owner_attributes)?,
                    args.owner_tenant_id.as_deref(),
                    "--owner-tenant-id",
                )?),
                None if !args.owner_attributes.is_empty() || args.owner_tenant_id.is_some() => {
                    return Err(CaseError::Flags(
                        "--owner-attribute and --owner-tenant-id need --owner",
                    ));
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
        (Some(_), _, _) => Err(CaseError::Flags(
            "give --path (a route case) or --action and --resource, not both",
        )),
        (None, Some(_), None) => Err(CaseError::Flags("--action needs --resource TYPE::ID")),
        (None, None, Some(_)) => Err(CaseError::Flags("--resource needs --action ACTION")),
        (None, None, None) => Err(CaseError::Flags(
            "give --path PATH (a route case) or --action ACTION --resource TYPE::ID (a resource case)",
        )),
    }
}

/// A user in a sentence: the principal, quoted, and its tenant when it has one.
fn named(user: &User) -> String {
    match user.tenant() {
        Some(tenant) => format!("{:?} of tenant {tenant:?}", user.principal),
        None => format!("{:?}", user.principal),
    }
}

/// The decision as a sentence.
pub(super) fn sentence(case: &Case, decision: &Decision<'_>) -> String {
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
                Some(u) => format!("user {}", named(u)),
                None => "with authentication off, anyone".to_owned(),
            };
            let owned = match owner {
                Some(o) => format!("owned by {}", named(o)),
                None => "unowned".to_owned(),
            };
            let before = if decision.basis == Basis::TenantMismatch {
                ", before any rule"
            } else {
                ""
            };
            format!(
                "{who} {may} {action} {kind}::{identifier} ({owned}): {}{before}.",
                decision.reason()
            )
        }
        Case::Route { user, path } => {
            let who = match user {
                Some(u) => format!("user {}", named(u)),
                None => "an anonymous caller".to_owned(),
            };
            format!("{who} {may} request {path:?}: {}.", decision.reason())
        }
    }
}

pub(super) fn explain(policies: &Settings, args: &ExplainArgs) -> ExitCode {
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
