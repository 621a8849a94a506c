//! The authenticated caller: a principal and its attributes.

use std::collections::BTreeMap;
use std::sync::Arc;

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Attributes of a user: `roles`, `teams`, `projects`, `namespaces`, `scopes`, ...
pub type Attributes = BTreeMap<String, Vec<String>>;

/// Who the caller is, as the authentication step established it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Who the caller is: a JWT's `sub`, an API key's `principal`, ...
    pub principal: String,
    /// What the provider says of the caller (`roles`, `teams`, `scopes`, ...),
    /// as the policies read it.
    #[serde(default)]
    pub attributes: Attributes,
    /// When the credential that vouched for this user expires (a JWT's `exp`):
    /// the validation cache never keeps the user past it.
    #[serde(skip)]
    pub expires_at: Option<std::time::SystemTime>,
    /// The verified claims the provider read (a JWT's payload, an
    /// introspection answer); read them with [`User::claims`]. Never
    /// serialized, and left out of `Debug`, so never logged.
    #[serde(skip)]
    pub claims: Option<Arc<Value>>,
    /// The configured provider that authenticated this user: its `name` in
    /// `server.auth.providers`, else its `type`. `None` for a provider of
    /// the app's own.
    #[serde(skip)]
    pub provider: Option<Arc<str>>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("principal", &self.principal)
            .field("attributes", &self.attributes)
            .field("expires_at", &self.expires_at)
            .field("claims", &self.claims.as_ref().map(|_| "<not shown>"))
            .field("provider", &self.provider)
            .finish()
    }
}

/// Why [`User::claims`] gave no value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimsError {
    /// The provider that authenticated the user reads no claims (`api_keys`,
    /// `custom`, `upstream_header`, `github_token`, `kubernetes`, or a
    /// provider of the app's own that did not set them).
    #[error("the provider that authenticated this user gives no claims")]
    NoClaims,
    /// The claims do not have the shape of the type asked for.
    #[error("the claims do not fit the type asked for: {0}")]
    Shape(#[from] serde_json::Error),
}

impl User {
    /// A user with these attributes, and no expiry, claims or provider.
    pub fn new(principal: impl Into<String>, attributes: Attributes) -> Self {
        User {
            principal: principal.into(),
            attributes,
            expires_at: None,
            claims: None,
            provider: None,
        }
    }

    /// The verified claims as the handler's own type: a JWT's payload or an
    /// introspection answer, after every check the provider made.
    ///
    /// ```
    /// # use auth_runtime::User;
    /// #[derive(serde::Deserialize)]
    /// struct Claims { email: String }
    ///
    /// let user = User::new("alice", Default::default())
    ///     .with_claims(serde_json::json!({"sub": "alice", "email": "a@example.com"}));
    /// assert_eq!(user.claims::<Claims>().unwrap().email, "a@example.com");
    /// ```
    pub fn claims<T: DeserializeOwned>(&self) -> Result<T, ClaimsError> {
        let claims = self.claims.as_deref().ok_or(ClaimsError::NoClaims)?;
        Ok(T::deserialize(claims)?)
    }

    /// The same user, carrying `claims`.
    pub fn with_claims(mut self, claims: Value) -> Self {
        self.claims = Some(Arc::new(claims));
        self
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
