//! Authentication: who is calling. A provider turns credentials into a
//! [`User`]; the pipeline's authentication step runs it for every protected
//! route, and for public routes whose handler takes `Option<AuthenticatedUser>`.

mod authenticator;
pub(crate) mod bearer;
pub(crate) mod cache;
pub(crate) mod claims;
pub(crate) mod http;
pub(crate) mod provider_set;
pub(crate) mod providers;
pub(crate) mod redact;
pub(crate) mod tenancy;

pub use crate::principal::TenantError;
pub(crate) use authenticator::Authenticator;
pub use cache::CachedProvider;

use std::sync::Arc;

use async_trait::async_trait;
use axum::http::{HeaderMap, Method, Uri};

use crate::principal::User;

/// The parts of a request a provider may look at.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct RequestHead<'a> {
    /// The request's method.
    pub method: &'a Method,
    /// The request's URI.
    pub uri: &'a Uri,
    /// The request's headers, `Authorization` included.
    pub headers: &'a HeaderMap,
}

impl<'a> RequestHead<'a> {
    /// The parts of a request with this method, URI and headers.
    pub const fn new(method: &'a Method, uri: &'a Uri, headers: &'a HeaderMap) -> Self {
        RequestHead {
            method,
            uri,
            headers,
        }
    }
}

/// Why a provider did not authenticate the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthError {
    /// The credentials are not valid: 401 with this reason (remembered for
    /// the cache's `failure_ttl`).
    Rejected(String),
    /// The provider declined this time, for a reason that may pass (a
    /// `custom` endpoint answering 5xx): 401 with this reason, never cached.
    Declined(String),
    /// The identity provider could not be reached or timed out: 503.
    Unavailable(String),
    /// Anything else went wrong: 401 "Authentication service error". The
    /// detail is logged, never sent.
    Failed(String),
}

/// Validates credentials. Implement it for your own identity provider and
/// pass it to [`App::auth_provider`](crate::App::auth_provider).
///
/// ```
/// use std::sync::Arc;
/// use auth_runtime::authn::{AuthError, AuthProvider, RequestHead};
/// use auth_runtime::User;
///
/// struct OneToken;
///
/// #[async_trait::async_trait]
/// impl AuthProvider for OneToken {
///     async fn authenticate(&self, token: Option<&str>, _: RequestHead<'_>) -> Result<Arc<User>, AuthError> {
///         match token {
///             Some("let-me-in") => Ok(Arc::new(User::new("me", Default::default()))),
///             _ => Err(AuthError::Rejected("Invalid token".into())),
///         }
///     }
/// }
///
/// // In place of the config's `server.auth.provider_config`:
/// let app = auth_runtime::App::new().auth_provider(OneToken);
/// ```
#[async_trait]
pub trait AuthProvider: Send + Sync + 'static {
    /// Authenticates a request. `token` is the bearer token; it is `None` only
    /// for providers whose [`requires_bearer`](Self::requires_bearer) is false.
    async fn authenticate(
        &self,
        token: Option<&str>,
        request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError>;

    /// The answer of [`authenticate`](Self::authenticate) when the provider
    /// can give it without waiting (a local lookup, a cache hit); `None`
    /// (the default) when it would have to wait. The pipeline then serves
    /// the request without boxing a future. Must decide as `authenticate`
    /// would.
    fn authenticate_now(
        &self,
        _token: Option<&str>,
        _request: RequestHead<'_>,
    ) -> Option<Result<Arc<User>, AuthError>> {
        None
    }

    /// Whether callers must send `Authorization: Bearer <token>` (default: yes).
    fn requires_bearer(&self) -> bool {
        true
    }

    /// The 401 message when a caller sent no credentials: a hint at what to send.
    fn missing_credentials_message(&self) -> String {
        "Authentication required".to_owned()
    }

    /// A short name for logs.
    fn name(&self) -> &'static str {
        "custom_provider"
    }
}

/// The bearer token of a provider that needs one (the authentication step
/// only calls it without a token when `requires_bearer` is false).
pub(crate) fn require_token(token: Option<&str>) -> Result<&str, AuthError> {
    token.ok_or_else(|| AuthError::Rejected("Authentication required".into()))
}
