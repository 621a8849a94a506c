//! The authenticated caller: a principal and its attributes.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Attributes of a user: `roles`, `teams`, `projects`, `namespaces`, `scopes`, ...
pub type Attributes = BTreeMap<String, Vec<String>>;

/// Who the caller is, as the authentication step established it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub principal: String,
    #[serde(default)]
    pub attributes: Attributes,
    /// When the credential that vouched for this user expires (a JWT's `exp`):
    /// the validation cache never keeps the user past it.
    #[serde(skip)]
    pub expires_at: Option<std::time::SystemTime>,
}

impl User {
    pub fn new(principal: impl Into<String>, attributes: Attributes) -> Self {
        User {
            principal: principal.into(),
            attributes,
            expires_at: None,
        }
    }

    /// The values of one attribute (empty when the user lacks it).
    pub fn attribute(&self, name: &str) -> &[String] {
        self.attributes.get(name).map_or(&[], Vec::as_slice)
    }

    /// Whether the `scopes` attribute holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.attribute("scopes").iter().any(|s| s == scope)
    }
}

/// Extracts the authenticated caller. On a route without an authenticated
/// caller it answers 401, so the handler never runs; public routes take
/// `Option<AuthenticatedUser>` instead (the macro enforces it), which is
/// `Some` when the caller sent a token the provider accepted.
#[derive(Debug, Clone)]
pub struct AuthenticatedUser(pub Arc<User>);

impl std::ops::Deref for AuthenticatedUser {
    type Target = User;
    fn deref(&self) -> &User {
        &self.0
    }
}
