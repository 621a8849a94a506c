//! One case of `policy eval` / `policy explain`: a user, an action and a
//! resource (access policy), or a user and a path (route policy).

use serde::Deserialize;
use serde::de::Deserializer;
use serde_json::Value;

use crate::authz::{Action, Decision, Resource, RuleError};
use crate::principal::{Attributes, TenantError, User};
use crate::security::settings::Settings;

/// A case that cannot be decided (a line of `eval` or `test`, the flags of
/// `explain`): what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub(super) enum CaseError {
    /// Not JSON, or not a case's shape.
    #[error("{}", json_problem(.0))]
    Json(serde_json::Error),
    #[error("missing field `user` (null for no user)")]
    NoUser,
    #[error(
        "a case has `path` (a route case) or `action` and `resource` (a resource case), not both"
    )]
    RouteAndResource,
    #[error("missing field `{0}`")]
    Missing(&'static str),
    #[error("missing field `path` (a route case) or `action` and `resource` (a resource case)")]
    NoCase,
    #[error(transparent)]
    Action(#[from] RuleError),
    /// `test`: `expect` is not `{allowed, rule?}`.
    #[error("`expect`: {0}")]
    Expect(serde_json::Error),
    #[error("missing field `expect` ({{\"allowed\": true|false, \"rule\": N?}})")]
    NoExpect,
    /// `test`: `"tenant_mismatch": true` with `"allowed": true` or a `rule`.
    #[error(
        "`expect`: a tenant scope mismatch is a denial by no rule (\"allowed\": false, no \"rule\")"
    )]
    ExpectMismatch,
    /// `explain`: an attribute flag that is not `KEY=VALUE`.
    #[error("{flag} {pair:?}: expected KEY=VALUE")]
    Pair { flag: &'static str, pair: String },
    /// `explain`: `--resource` that is not `TYPE::ID`.
    #[error("--resource {0:?}: expected TYPE::ID")]
    Resource(String),
    /// `explain`: flags that do not make a case; the message says which.
    #[error("{0}")]
    Flags(&'static str),
    /// A `tenant_id` that is not a tenant id: the case (its id, as JSON) and
    /// the field; the value is not repeated.
    #[error("case {case}: {field}: {problem}")]
    Tenant {
        case: Value,
        field: &'static str,
        problem: TenantProblem,
    },
    /// `explain`: a tenant flag that is not a tenant id.
    #[error("{flag}: {problem}")]
    TenantFlag {
        flag: &'static str,
        problem: TenantError,
    },
}

/// What is wrong with a `tenant_id`.
#[derive(Debug, thiserror::Error)]
pub(super) enum TenantProblem {
    #[error("expected a string or null")]
    NotAString,
    #[error(transparent)]
    Invalid(#[from] TenantError),
}

/// A user as a case gives it.
#[derive(Deserialize)]
struct UserIn {
    principal: String,
    #[serde(default)]
    attributes: Option<Attributes>,
    /// Absent or null: no tenant. Any JSON, so that a wrong type is reported
    /// naming the field.
    #[serde(default)]
    tenant_id: Option<Value>,
}

impl UserIn {
    /// The user, in its tenant; `field` names `tenant_id` in a problem.
    fn into_user(self, id: &Value, field: &'static str) -> Result<User, CaseError> {
        let user = User::new(self.principal, self.attributes.unwrap_or_default());
        let problem = match self.tenant_id {
            None | Some(Value::Null) => return Ok(user),
            Some(Value::String(raw)) => match user.with_tenant(&raw) {
                Ok(user) => return Ok(user),
                Err(e) => TenantProblem::Invalid(e),
            },
            Some(_) => TenantProblem::NotAString,
        };
        Err(CaseError::Tenant {
            case: id.clone(),
            field,
            problem,
        })
    }
}

/// A user given by flags (`explain`), in the tenant of `flag` when given.
pub(super) fn flag_user(
    principal: &str,
    attributes: Attributes,
    tenant: Option<&str>,
    flag: &'static str,
) -> Result<User, CaseError> {
    let user = User::new(principal, attributes);
    match tenant {
        None => Ok(user),
        Some(raw) => user
            .with_tenant(raw)
            .map_err(|problem| CaseError::TenantFlag { flag, problem }),
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
pub(super) enum Case {
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
    pub(super) fn decide<'p>(&self, policies: &'p Settings) -> Decision<'p> {
        match self {
            Case::Resource {
                user,
                action,
                kind,
                identifier,
                owner,
            } => policies.access.decide(
                *action,
                &Resource::new(kind, identifier, owner.as_ref()),
                user.as_ref(),
            ),
            Case::Route { user, path } => policies.routes.decide(path, user.as_ref()),
        }
    }
}

/// Parses one line of a cases file into its id and case.
pub(super) fn parse_case(line: &[u8]) -> Result<(Value, Case), CaseError> {
    let raw: CaseIn = serde_json::from_slice(line).map_err(CaseError::Json)?;
    let Some(user) = raw.user else {
        return Err(CaseError::NoUser);
    };
    let id = raw.id;
    let user = user
        .map(|u| u.into_user(&id, "user.tenant_id"))
        .transpose()?;
    let case = match (raw.path, raw.action, raw.resource) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
            return Err(CaseError::RouteAndResource);
        }
        (Some(path), None, None) => Case::Route { user, path },
        (None, Some(action), Some(resource)) => Case::Resource {
            user,
            action: action.parse::<Action>()?,
            kind: resource.kind,
            identifier: resource.identifier,
            owner: resource
                .owner
                .map(|o| o.into_user(&id, "resource.owner.tenant_id"))
                .transpose()?,
        },
        (None, Some(_), None) => return Err(CaseError::Missing("resource")),
        (None, None, Some(_)) => return Err(CaseError::Missing("action")),
        (None, None, None) => return Err(CaseError::NoCase),
    };
    Ok((id, case))
}

/// serde_json's message without its `at line 1`: a case is one line.
fn json_problem(e: &serde_json::Error) -> String {
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
