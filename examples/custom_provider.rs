//! A custom `AuthProvider`: your own sessions, checked in process.
//!
//! `cargo run --example custom_provider` (127.0.0.1:8324), then:
//!
//! ```text
//! curl -s -H 'Authorization: Bearer session-ann' localhost:8324/v1/me
//! curl -s -H 'Authorization: Bearer session-old' localhost:8324/v1/me   # 401: expired
//! ```
//!
//! `App::auth_provider` replaces `server.auth.provider_config`; everything
//! else of the config (policies, quota) still applies. `authenticate_now`
//! answers without a future when the answer is at hand, so a local lookup
//! costs no boxing on the request path.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use auth_runtime::authn::{AuthError, AuthProvider, RequestHead};
use auth_runtime::{App, AuthenticatedUser, User, async_trait, webmethod};

/// Sessions your login flow created: token -> user and expiry.
struct Sessions {
    by_token: HashMap<String, (Arc<User>, SystemTime)>,
}

impl Sessions {
    fn demo() -> Sessions {
        let now = SystemTime::now();
        let user = |name: &str, roles: &[&str]| {
            let attributes = [(
                "roles".to_owned(),
                roles.iter().map(|r| (*r).to_owned()).collect(),
            )];
            Arc::new(User::new(name, attributes.into_iter().collect()))
        };
        let by_token = HashMap::from([
            (
                "session-ann".to_owned(),
                (user("ann", &["admin"]), now + Duration::from_secs(3600)),
            ),
            (
                "session-old".to_owned(),
                (user("old", &[]), now - Duration::from_secs(1)),
            ),
        ]);
        Sessions { by_token }
    }

    /// The whole decision: no I/O, so `authenticate_now` can give it.
    fn decide(&self, token: Option<&str>) -> Result<Arc<User>, AuthError> {
        let token = token.ok_or_else(|| AuthError::Rejected("Authentication required".into()))?;
        match self.by_token.get(token) {
            Some((user, expires)) if *expires > SystemTime::now() => Ok(user.clone()),
            // The reason goes to the client: never echo the token in it.
            Some(_) => Err(AuthError::Rejected("Session expired".into())),
            None => Err(AuthError::Rejected("Unknown session".into())),
        }
    }
}

#[async_trait]
impl AuthProvider for Sessions {
    async fn authenticate(
        &self,
        token: Option<&str>,
        _request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError> {
        self.decide(token)
    }

    fn authenticate_now(
        &self,
        token: Option<&str>,
        _request: RequestHead<'_>,
    ) -> Option<Result<Arc<User>, AuthError>> {
        Some(self.decide(token))
    }

    fn missing_credentials_message(&self) -> String {
        "Sign in and send your session as a Bearer token".to_owned()
    }

    fn name(&self) -> &'static str {
        "sessions"
    }
}

/// Who the session belongs to.
#[webmethod(route = "/me", method = "GET", level = "v1")]
async fn me(user: AuthenticatedUser) -> String {
    format!("{}\n", user.principal)
}

#[tokio::main]
async fn main() -> ExitCode {
    App::new()
        .auth_provider(Sessions::demo())
        .default_config("server:\n  port: 8324\n", None)
        .run()
        .await
}
