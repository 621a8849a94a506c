//! What the security pipeline learnt about a request's caller, put in the
//! request's extensions once, and the extractors that read it:
//! [`AuthenticatedUser`], `Option<AuthenticatedUser>` and [`Access`].

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::Extensions;
use axum::http::request::Parts;

use crate::authz::{Access, AccessPolicy};
use crate::extract::error::ApiError;
use crate::principal::{AuthenticatedUser, User};
use crate::telemetry::Telemetry;

/// The caller of one request, as the pipeline established it.
#[derive(Clone, Debug)]
pub struct Caller {
    user: Option<Arc<User>>,
    authentication: bool,
    access: Arc<AccessPolicy>,
    /// Where `Access` decisions are counted and logged (the router's own).
    telemetry: Telemetry,
    /// For the decision log, when it is on.
    context: Option<Arc<crate::telemetry::decision_log::Context>>,
}

impl Caller {
    pub(crate) fn new(
        user: Option<Arc<User>>,
        authentication: bool,
        access: Arc<AccessPolicy>,
        telemetry: &Telemetry,
    ) -> Self {
        Caller {
            user,
            authentication,
            access,
            telemetry: telemetry.clone(),
            context: None,
        }
    }

    pub(crate) fn with_context(mut self, context: crate::telemetry::decision_log::Context) -> Self {
        self.context = Some(Arc::new(context));
        self
    }

    /// The caller of a request, when the pipeline ran for its route (an app's
    /// own [`Guard`](crate::Guard) runs after it and finds it here).
    pub fn of(extensions: &Extensions) -> Option<&Caller> {
        extensions.get::<Caller>()
    }

    /// The authenticated user, if any.
    pub fn user(&self) -> Option<&Arc<User>> {
        self.user.as_ref()
    }

    /// Whether authentication is on for this server.
    pub fn authentication(&self) -> bool {
        self.authentication
    }

    /// The access policy, with this caller.
    pub fn access(&self) -> Access {
        let access = if self.authentication {
            Access::new(self.access.clone(), self.user.clone())
        } else {
            Access::authentication_off(self.access.clone())
        };
        access.with_context(self.telemetry.clone(), self.context.clone())
    }
}

/// The pipeline's user, else one an app's own guard authenticated and put in
/// the extensions as an `Arc<User>`.
fn user_of(parts: &Parts) -> Option<Arc<User>> {
    Caller::of(&parts.extensions)
        .and_then(|c| c.user.clone())
        .or_else(|| parts.extensions.get::<Arc<User>>().cloned())
}

impl<S: Send + Sync> FromRequestParts<S> for AuthenticatedUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        user_of(parts)
            .map(AuthenticatedUser)
            .ok_or_else(|| ApiError::unauthorized("Authentication required"))
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AuthenticatedUser {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Option<Self>, Infallible> {
        Ok(user_of(parts).map(AuthenticatedUser))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Access {
    type Rejection = Infallible;

    /// Without the pipeline's record (a router built by hand, a handler the
    /// macro could not see taking `Access`), the caller is anonymous under
    /// llama-stack's default policy with authentication on: denied.
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Infallible> {
        Ok(match Caller::of(&parts.extensions) {
            Some(caller) => caller.access(),
            None => Access::new(crate::authz::shared_default_policy(), None),
        })
    }
}
