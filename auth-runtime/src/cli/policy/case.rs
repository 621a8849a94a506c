//! One case of `policy eval` / `policy explain`: a user, an action and a
//! resource (access policy), or a user and a path (route policy).

use serde::Deserialize;
use serde::de::Deserializer;
use serde_json::Value;

use crate::authz::{Action, Decision, Resource, RuleError};
use crate::principal::{Attributes, User};
use crate::security::settings::Settings;
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
pub(super) fn parse_case(line: &[u8]) -> Result<(Value, Case), String> {
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
            action: action.parse().map_err(|e: RuleError| e.to_string())?,
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
