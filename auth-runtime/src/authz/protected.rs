//! Resources under the access policy, and the handler-side check.
//!
//! ```
//! use auth_runtime::authz::{Access, Action, ProtectedResource};
//! use auth_runtime::{ApiError, User};
//!
//! struct Model { id: String, owner: Option<User> }
//!
//! impl ProtectedResource for Model {
//!     fn resource_type(&self) -> &str { "model" }
//!     fn resource_id(&self) -> &str { &self.id }
//!     fn owner(&self) -> Option<&User> { self.owner.as_ref() }
//! }
//!
//! async fn get_model(access: Access) -> Result<String, ApiError> {
//!     let model = Model { id: "m1".into(), owner: None };
//!     access.check(Action::Read, &model)?; // 403 with llama-stack's message if denied
//!     Ok(model.id)
//! }
//! ```

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::Response;

use super::decision::Decision;
use super::resource_policy::AccessPolicy;
use super::rules::Action;
use crate::error::ApiError;
use crate::guard::{Guard, Target};
use crate::principal::User;

/// Something the access policy governs: `type::identifier`, maybe an owner.
pub trait ProtectedResource {
    /// `model`, `vector_store`, ...
    fn resource_type(&self) -> &str;
    fn resource_id(&self) -> &str;
    /// The user who created it, with the attributes they had then.
    fn owner(&self) -> Option<&User>;
}

/// A resource described in place.
#[derive(Debug, Clone, Copy)]
pub struct Resource<'a> {
    pub kind: &'a str,
    pub identifier: &'a str,
    pub owner: Option<&'a User>,
}

impl ProtectedResource for Resource<'_> {
    fn resource_type(&self) -> &str {
        self.kind
    }
    fn resource_id(&self) -> &str {
        self.identifier
    }
    fn owner(&self) -> Option<&User> {
        self.owner
    }
}

impl<T: ProtectedResource + ?Sized> ProtectedResource for &T {
    fn resource_type(&self) -> &str {
        (**self).resource_type()
    }
    fn resource_id(&self) -> &str {
        (**self).resource_id()
    }
    fn owner(&self) -> Option<&User> {
        (**self).owner()
    }
}

/// The access policy and the caller, for handlers: `access.check(..)?`.
#[derive(Clone, Debug)]
pub struct Access {
    policy: Arc<AccessPolicy>,
    user: Option<Arc<User>>,
}

impl Access {
    pub fn new(policy: Arc<AccessPolicy>, user: Option<Arc<User>>) -> Self {
        Access { policy, user }
    }

    /// The caller (`None` when authentication is off or the route is public
    /// and the caller sent nothing).
    pub fn user(&self) -> Option<&Arc<User>> {
        self.user.as_ref()
    }

    pub fn policy(&self) -> &AccessPolicy {
        &self.policy
    }

    /// The decision, explained.
    pub fn decide<R: ProtectedResource + ?Sized>(
        &self,
        action: Action,
        resource: &R,
    ) -> Decision<'_> {
        self.policy.decide(action, resource, self.user.as_deref())
    }

    /// `Ok` if allowed, else a 403 in llama-stack's words.
    pub fn check<R: ProtectedResource + ?Sized>(
        &self,
        action: Action,
        resource: &R,
    ) -> Result<(), ApiError> {
        let decision = self.decide(action, resource);
        let principal = self.user.as_deref().map_or("", |u| u.principal.as_str());
        if decision.allowed {
            tracing::debug!(target: "webmethod::authz", principal, action = action.as_str(), resource_type = resource.resource_type(), rule = decision.rule, reason = %decision, outcome = "allowed");
            return Ok(());
        }
        tracing::info!(target: "webmethod::authz", principal, action = action.as_str(), resource_type = resource.resource_type(), rule = decision.rule, reason = %decision, outcome = "denied");
        Err(ApiError::forbidden(denied_message(
            action,
            resource,
            self.user.as_deref(),
        )))
    }

    /// The items the caller may perform `action` on (for list endpoints).
    pub fn filter<T: ProtectedResource>(
        &self,
        action: Action,
        items: impl IntoIterator<Item = T>,
    ) -> Vec<T> {
        items
            .into_iter()
            .filter(|item| self.decide(action, item).allowed)
            .collect()
    }
}

/// llama-stack's `AccessDeniedError` text.
pub fn denied_message<R: ProtectedResource + ?Sized>(
    action: Action,
    resource: &R,
    user: Option<&User>,
) -> String {
    let Some(user) = user else {
        return "Insufficient permissions".to_owned();
    };
    let mut who = format!("'{}'", user.principal);
    if !user.attributes.is_empty() {
        let attrs: Vec<String> = user
            .attributes
            .iter()
            .map(|(k, values)| {
                let list: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
                format!("{k}=[{}]", list.join(", "))
            })
            .collect();
        who.push_str(&format!(" (attributes: {})", attrs.join(", ")));
    }
    format!(
        "User {who} cannot perform action '{action}' on resource '{}::{}'",
        resource.resource_type(),
        resource.resource_id()
    )
}

/// The policy used when the app configured none: llama-stack's default.
fn default_policy() -> Arc<AccessPolicy> {
    static DEFAULT: OnceLock<Arc<AccessPolicy>> = OnceLock::new();
    DEFAULT
        .get_or_init(|| Arc::new(AccessPolicy::default_policy()))
        .clone()
}

impl<S: Send + Sync> FromRequestParts<S> for Access {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let policy = parts
            .extensions
            .get::<Arc<AccessPolicy>>()
            .cloned()
            .unwrap_or_else(default_policy);
        Ok(Access {
            policy,
            user: parts.extensions.get::<Arc<User>>().cloned(),
        })
    }
}

/// Hands the configured access policy to handlers (through [`Access`]).
#[derive(Clone)]
pub struct AccessPolicyContext {
    policy: Arc<AccessPolicy>,
}

impl AccessPolicyContext {
    pub fn new(policy: Arc<AccessPolicy>) -> Self {
        AccessPolicyContext { policy }
    }
}

#[async_trait]
impl Guard for AccessPolicyContext {
    async fn check(&self, _target: Target, request: &mut Request) -> Result<(), Response> {
        request.extensions_mut().insert(self.policy.clone());
        Ok(())
    }
}
