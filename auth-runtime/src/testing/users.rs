//! Test users: a provider in front of the configured one that accepts the
//! tokens [`TestRequest::as_user`](super::TestRequest::as_user) hands out.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use async_trait::async_trait;

use crate::authn::{AuthError, AuthProvider, RequestHead};
use crate::principal::User;

/// The prefix of a test user's token; a token without it goes to the
/// configured provider.
const PREFIX: &str = "webmethod-test-user-";

/// The users a test registered, by their token.
#[derive(Default)]
pub(crate) struct TestUsers {
    users: RwLock<HashMap<String, Arc<User>>>,
    next: AtomicU64,
}

impl TestUsers {
    /// A new token that authenticates as `user`.
    pub(crate) fn token_for(&self, user: User) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let token = format!("{PREFIX}{n}");
        self.users
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.clone(), Arc::new(user));
        token
    }

    fn find(&self, token: &str) -> Option<Arc<User>> {
        self.users
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .cloned()
    }
}

/// The test users, then the configured provider (if any) for other tokens.
pub(crate) struct WithTestUsers {
    pub(crate) users: Arc<TestUsers>,
    pub(crate) inner: Option<Arc<dyn AuthProvider>>,
}

impl WithTestUsers {
    fn test_user(&self, token: Option<&str>) -> Option<Result<Arc<User>, AuthError>> {
        let token = token.filter(|t| t.starts_with(PREFIX))?;
        Some(
            self.users
                .find(token)
                .ok_or_else(|| AuthError::Rejected("Unknown test user token".into())),
        )
    }
}

#[async_trait]
impl AuthProvider for WithTestUsers {
    async fn authenticate(
        &self,
        token: Option<&str>,
        request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError> {
        if let Some(answer) = self.test_user(token) {
            return answer;
        }
        match &self.inner {
            Some(inner) => inner.authenticate(token, request).await,
            None => Err(AuthError::Rejected(
                "No provider is configured: send requests with `as_user`".into(),
            )),
        }
    }

    fn authenticate_now(
        &self,
        token: Option<&str>,
        request: RequestHead<'_>,
    ) -> Option<Result<Arc<User>, AuthError>> {
        if let Some(answer) = self.test_user(token) {
            return Some(answer);
        }
        match &self.inner {
            Some(inner) => inner.authenticate_now(token, request),
            None => None,
        }
    }

    fn requires_bearer(&self) -> bool {
        self.inner.as_ref().is_none_or(|p| p.requires_bearer())
    }

    fn missing_credentials_message(&self) -> String {
        match &self.inner {
            Some(inner) => inner.missing_credentials_message(),
            None => "Authentication required".to_owned(),
        }
    }

    fn name(&self) -> &'static str {
        match &self.inner {
            Some(inner) => inner.name(),
            None => "test_users",
        }
    }
}
