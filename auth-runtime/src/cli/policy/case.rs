//! One case of `policy eval` / `policy explain`: a user, an action and a
//! resource (access policy), or a user and a path (route policy).

use serde::Deserialize;
use serde::de::Deserializer;
use serde_json::Value;

use crate::authz::{Action, Decision, Resource, RuleError};
use crate::principal::{Attributes, User};
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
    /// `explain`: an attribute flag that is not `KEY=VALUE`.
    #[error("{flag} {pair:?}: expected KEY=VALUE")]
    Pair { flag: &'static str, pair: String },
    /// `explain`: `--resource` that is not `TYPE::ID`.
    #[error("--resource {0:?}: expected TYPE::ID")]
    Resource(String),
    /// `explain`: flags that do not make a case; the message says which.
    #[error("{0}")]
    Flags(&'static str),
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
    let user = user.map(UserIn::into_user);
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
            owner: resource.owner.map(UserIn::into_user),
        },
        (None, Some(_), None) => return Err(CaseError::Missing("resource")),
        (None, None, Some(_)) => return Err(CaseError::Missing("action")),
        (None, None, None) => return Err(CaseError::NoCase),
    };
    Ok((raw.id, case))
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
