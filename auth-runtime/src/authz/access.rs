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

use std::sync::Arc;

use super::decision::{Basis, Decision};
use super::resource::ProtectedResource;
use super::resource_policy::AccessPolicy;
use super::rules::Action;
use crate::extract::error::ApiError;
use crate::principal::User;

/// The access policy and the caller, for handlers: `access.check(..)?`.
///
/// With authentication on, a request without a user (a public route, an
/// anonymous caller) is denied every action: no rule permits an anonymous
/// caller. With authentication off (no provider configured) everything is
/// allowed, as in llama-stack.
///
/// A handler takes it as an extractor; the pipeline hands it the request's
/// caller and the configured policy (on public routes too).
///
/// ```
/// use std::sync::Arc;
/// use auth_runtime::authz::{Access, AccessPolicy, Action, ProtectedResource};
/// use auth_runtime::extract::{Json, Path};
/// use auth_runtime::{ApiError, User, webmethod};
///
/// #[derive(Clone)]
/// struct Doc {
///     id: &'static str,
///     owner: Option<User>,
/// }
///
/// impl ProtectedResource for Doc {
///     fn resource_type(&self) -> &str { "doc" }
///     fn resource_id(&self) -> &str { self.id }
///     fn owner(&self) -> Option<&User> { self.owner.as_ref() }
/// }
///
/// fn all_docs() -> Vec<Doc> {
///     let owned_by = |name: &str| Some(User::new(name, Default::default()));
///     vec![
///         Doc { id: "shared", owner: None },
///         Doc { id: "alices", owner: owned_by("alice") },
///         Doc { id: "bobs", owner: owned_by("bob") },
///     ]
/// }
///
/// /// The documents the caller may read.
/// #[webmethod(route = "/docs", method = "GET", level = "v1")]
/// async fn list_docs(access: Access) -> Json<Vec<String>> {
///     let readable = access.filter(Action::Read, all_docs());
///     Json(readable.iter().map(|d| d.id.to_owned()).collect())
/// }
///
/// /// Deletes a document: 403 (in llama-stack's words) if the policy denies it.
/// #[webmethod(route = "/docs/{id}", method = "DELETE", level = "v1")]
/// async fn delete_doc(access: Access, Path(id): Path<String>) -> Result<(), ApiError> {
///     let doc = all_docs()
///         .into_iter()
///         .find(|d| d.id == id)
///         .ok_or_else(|| ApiError::not_found("no such document"))?;
///     access.check(Action::Delete, &doc)?;
///     Ok(())
/// }
///
/// // Outside a request (in a unit test, say), build one yourself. Under
/// // llama-stack's default policy a user may act on what they own and on
/// // unowned resources.
/// let alice = Arc::new(User::new("alice", Default::default()));
/// let access = Access::new(Arc::new(AccessPolicy::default_policy()), Some(alice));
/// let readable: Vec<_> = access.filter(Action::Read, all_docs()).iter().map(|d| d.id).collect();
/// assert_eq!(readable, ["shared", "alices"]);
/// assert!(access.check(Action::Delete, &all_docs()[2]).is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Access {
    policy: Arc<AccessPolicy>,
    user: Option<Arc<User>>,
    authentication: bool,
    /// Where decisions are counted and logged (the router's own).
    telemetry: crate::telemetry::Telemetry,
    /// The request's, for the decision log.
    context: Option<Arc<crate::telemetry::decision_log::Context>>,
}

impl Access {
    /// A caller under `policy` on a server whose authentication is on:
    /// `user: None` is an anonymous caller, denied everything.
    pub fn new(policy: Arc<AccessPolicy>, user: Option<Arc<User>>) -> Self {
        Access {
            policy,
            user,
            authentication: true,
            telemetry: crate::telemetry::Telemetry::off(),
            context: None,
        }
    }

    /// A caller on a server with authentication off: every action is allowed.
    pub fn authentication_off(policy: Arc<AccessPolicy>) -> Self {
        Access {
            policy,
            user: None,
            authentication: false,
            telemetry: crate::telemetry::Telemetry::off(),
            context: None,
        }
    }

    /// The caller (`None` when authentication is off or the route is public
    /// and the caller sent no accepted credentials).
    pub fn user(&self) -> Option<&Arc<User>> {
        self.user.as_ref()
    }

    /// Counts and logs decisions in `telemetry`, the log's lines about the
    /// request of `context`.
    pub(crate) fn with_context(
        mut self,
        telemetry: crate::telemetry::Telemetry,
        context: Option<Arc<crate::telemetry::decision_log::Context>>,
    ) -> Self {
        self.telemetry = telemetry;
        self.context = context;
        self
    }

    /// The access policy the caller is checked against.
    pub fn policy(&self) -> &AccessPolicy {
        &self.policy
    }

    /// The decision, explained.
    pub fn decide<R: ProtectedResource + ?Sized>(
        &self,
        action: Action,
        resource: &R,
    ) -> Decision<'_> {
        let decision = match (&self.user, self.authentication) {
            // An anonymous caller while authentication is on: fail closed.
            (None, true) => Decision::by(false, Basis::Anonymous),
            (user, _) => self.policy.decide(action, resource, user.as_deref()),
        };
        if let Some(metrics) = self.telemetry.metrics() {
            metrics.policy("access", decision.allowed);
        }
        if let (Some(log), Some(context)) = (self.telemetry.decisions(), &self.context) {
            decision.log(
                log,
                crate::telemetry::decision_log::Entry {
                    action: Some(action.as_str()),
                    resource: Some(format!(
                        "{}::{}",
                        resource.resource_type(),
                        resource.resource_id()
                    )),
                    ..crate::telemetry::decision_log::Entry::in_context(
                        "access_policy",
                        context,
                        self.user.as_deref(),
                    )
                },
            );
        }
        decision
    }

    /// `Ok` if allowed, else a 403 in llama-stack's words; a resource of
    /// another tenant is a 404 `<type> '<id>' not found`, the answer of a
    /// resource that does not exist (DESIGN.md "Tenancy": a denial must
    /// not reveal that it exists). [`decide`](Self::decide) tells the two
    /// apart ([`Basis::TenantMismatch`]).
    pub fn check<R: ProtectedResource + ?Sized>(
        &self,
        action: Action,
        resource: &R,
    ) -> Result<(), ApiError> {
        let decision = self.decide(action, resource);
        let principal = self.user.as_deref().map_or("", |u| u.principal.as_str());
        if decision.allowed {
            tracing::debug!(target: "webmethod::authz", principal, action = action.as_str(), resource_type = resource.resource_type(), rule = decision.rule, reason = ?decision.to_string(), outcome = "allowed");
            return Ok(());
        }
        if decision.basis == Basis::TenantMismatch {
            // Another tenant's resource does not exist for this caller: the
            // answer a missing one gets (llama-stack's "not found" words),
            // never a 403 that says it is there.
            tracing::info!(target: "webmethod::authz", principal, action = action.as_str(), resource_type = resource.resource_type(), reason = "tenant scope mismatch", outcome = "hidden");
            return Err(ApiError::not_found(format!(
                "{} '{}' not found",
                resource.resource_type(),
                resource.resource_id()
            )));
        }
        tracing::info!(target: "webmethod::authz", principal, action = action.as_str(), resource_type = resource.resource_type(), rule = decision.rule, reason = ?decision.to_string(), outcome = "denied");
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
pub(super) fn denied_message<R: ProtectedResource + ?Sized>(
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
