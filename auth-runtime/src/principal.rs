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
#[non_exhaustive]
pub struct User {
    /// Who the caller is: a JWT's `sub`, an API key's `principal`, ...
    ///
    /// With several providers (`server.auth.providers` listing more than
    /// one), qualified by the provider that authenticated the caller:
    /// `<provider name>:<principal the provider gave>` (`staff:alice`,
    /// `api_keys:ci`), set once at authentication. Policies (`principal:`,
    /// `user is owner`), owners an app stores, quota counters and logs all
    /// see this one string, so two providers' users never share an identity.
    /// [`unqualified_principal`](Self::unqualified_principal) gives the part
    /// the provider gave. With one provider it is the provider's principal,
    /// unchanged.
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
    /// Whether `principal` is qualified by `provider` (several providers).
    #[serde(skip)]
    qualified: bool,
    /// The tenant the user belongs to, checked ([`User::with_tenant`]):
    /// stored with an owner, so that tenants partition what it owns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("principal", &self.principal)
            .field("attributes", &self.attributes)
            .field("expires_at", &self.expires_at)
            .field("claims", &self.claims.as_ref().map(|_| "<not shown>"))
            .field("provider", &self.provider)
            .field("qualified", &self.qualified)
            .field("tenant", &self.tenant)
            .finish()
    }
}

/// Why a tenant id was refused: it names the problem, never repeats the
/// value (it came from a request or a provider).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TenantError {
    /// Longer than 128 characters.
    #[error("the tenant id is longer than 128 characters")]
    TooLong,
    /// A character outside `a-z`, `0-9`, `_` and `-`, or a first one outside
    /// `a-z` and `0-9`.
    #[error(
        "the tenant id may hold only a-z, 0-9, '_' and '-', and starts with a letter or a digit"
    )]
    Malformed,
}

/// `raw` as a tenant id: trimmed, lower-cased, then checked; blank is none.
pub(crate) fn tenant_id(raw: &str) -> Result<Option<String>, TenantError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.len() > 128 {
        return Err(TenantError::TooLong);
    }
    let id = trimmed.to_ascii_lowercase();
    let mut bytes = id.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let rest_ok =
        bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if first_ok && rest_ok {
        Ok(Some(id))
    } else {
        Err(TenantError::Malformed)
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
            qualified: false,
            tenant: None,
        }
    }

    /// The tenant the user belongs to, if any (DESIGN.md "Tenancy"): a
    /// resource whose owner has another tenant is out of the user's reach,
    /// whatever the rules say.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// The same user, in the tenant `raw` names: trimmed and lower-cased,
    /// then `[a-z0-9][a-z0-9_-]{0,127}`; blank is no tenant. A value of any
    /// other shape is an error, never a tenant of its own making.
    ///
    /// ```
    /// # use auth_runtime::User;
    /// let user = User::new("alice", Default::default()).with_tenant(" Acme ").unwrap();
    /// assert_eq!(user.tenant(), Some("acme"));
    /// assert!(User::new("bob", Default::default()).with_tenant("a/b").is_err());
    /// ```
    pub fn with_tenant(mut self, raw: &str) -> Result<Self, TenantError> {
        self.tenant = tenant_id(raw)?;
        Ok(self)
    }

    /// Puts the user in `tenant`, a checked id (`server.tenancy.mode:
    /// single`'s `default_tenant_id`), whatever the provider said.
    pub(crate) fn stamp_tenant(&mut self, tenant: &str) {
        if self.tenant.as_deref() != Some(tenant) {
            self.tenant = Some(tenant.to_owned());
        }
    }

    /// Whether a resource owned by `owner` is in another tenant than this
    /// user's: both have a tenant and they differ (ogx's tenant scope; an
    /// owner or a user without a tenant never mismatches).
    pub(crate) fn tenant_mismatch(&self, owner: Option<&User>) -> bool {
        match (owner.and_then(User::tenant), self.tenant()) {
            (Some(owner), Some(user)) => owner != user,
            _ => false,
        }
    }

    /// The principal as its provider gave it: [`principal`](Self::principal)
    /// without the `<provider name>:` that qualifies it when several
    /// providers are configured (`alice` for `staff:alice`); the principal
    /// itself otherwise. For display, or to look the caller up at its
    /// provider; never to decide who the caller is (two providers may give
    /// the same one).
    ///
    /// ```
    /// # use auth_runtime::User;
    /// let user = User::new("alice", Default::default());
    /// assert_eq!(user.unqualified_principal(), "alice");
    /// ```
    pub fn unqualified_principal(&self) -> &str {
        match (&self.provider, self.qualified) {
            (Some(provider), true) => self
                .principal
                .strip_prefix(&**provider)
                .and_then(|rest| rest.strip_prefix(':'))
                .unwrap_or(&self.principal),
            _ => &self.principal,
        }
    }

    /// Names the provider that authenticated the user; with `qualify` (several
    /// providers), also qualifies the principal by it, once.
    pub(crate) fn name_provider(&mut self, name: &Arc<str>, qualify: bool) {
        if qualify && !self.qualified {
            let mut principal = String::with_capacity(name.len() + 1 + self.principal.len());
            principal.push_str(name);
            principal.push(':');
            principal.push_str(&self.principal);
            self.principal = principal;
            self.qualified = true;
        }
        self.provider = Some(name.clone());
    }

    /// Whether the user is already named by `name` as `qualify` asks (no
    /// copy needed).
    pub(crate) fn named_by(&self, name: &str, qualify: bool) -> bool {
        self.provider.as_deref() == Some(name) && (self.qualified || !qualify)
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
#[expect(
    clippy::exhaustive_structs,
    reason = "a newtype that handlers destructure in their arguments; it never grows"
)]
pub struct AuthenticatedUser(pub Arc<User>);

impl std::ops::Deref for AuthenticatedUser {
    type Target = User;
    fn deref(&self) -> &User {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_providers_qualify_the_principal_once() {
        let name: Arc<str> = "partners".into();
        let mut user = User::new("admin", Attributes::new());
        assert!(!user.named_by(&name, true));
        user.name_provider(&name, true);
        assert_eq!(user.principal, "partners:admin");
        assert_eq!(user.unqualified_principal(), "admin");
        assert_eq!(user.provider.as_deref(), Some("partners"));
        assert!(user.named_by(&name, true));
        // Named again (a provider handing back a user it keeps): unchanged.
        user.name_provider(&name, true);
        assert_eq!(user.principal, "partners:admin");

        // A principal with colons of its own (Kubernetes): only the first `:`
        // is the provider's.
        let mut sa = User::new("system:serviceaccount:ns:x", Attributes::new());
        sa.name_provider(&"k8s".into(), true);
        assert_eq!(sa.principal, "k8s:system:serviceaccount:ns:x");
        assert_eq!(sa.unqualified_principal(), "system:serviceaccount:ns:x");
    }

    #[test]
    fn one_provider_names_without_qualifying() {
        let name: Arc<str> = "api_keys".into();
        // A principal that happens to look qualified stays whole.
        let mut user = User::new("api_keys:admin", Attributes::new());
        user.name_provider(&name, false);
        assert_eq!(user.principal, "api_keys:admin");
        assert_eq!(user.unqualified_principal(), "api_keys:admin");
        assert!(user.named_by(&name, false));
        // Owners an app stored and read back (the flag is not serialized)
        // compare by the principal string they were stored with.
        let json = serde_json::to_string(&user).unwrap();
        let back: User = serde_json::from_str(&json).unwrap();
        assert_eq!(back.principal, "api_keys:admin");
        assert_eq!(back.unqualified_principal(), "api_keys:admin");
    }
}
