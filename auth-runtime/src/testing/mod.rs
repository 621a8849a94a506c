//! Test an app's own handlers under its own config, in process (feature
//! `testing`): the router built from the registry (or some of its entries)
//! and a config given as a string, requests sent anonymously, as a given
//! user or with a token, and a JWT issuer with its JWKS on 127.0.0.1.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use auth_runtime::testing::{TestApp, user};
//! use auth_runtime::webmethod;
//!
//! #[webmethod(route = "/reports", method = "GET", level = "v1", required_scope = "reports.read")]
//! async fn reports() -> &'static str { "[]" }
//!
//! let app = TestApp::builder()
//!     .config("server:\n  auth:\n    route_policy:\n      - permit: {paths: \"*\"}\n")
//!     .module(module_path!()) // this test's handlers (a test binary has them all)
//!     .build()
//!     .expect("the app builds");
//! assert_eq!(app.get("/v1/reports").send().await.status, 401);
//! let reader = user("ann", &[("scopes", &["reports.read"])]);
//! assert_eq!(app.get("/v1/reports").as_user(reader).send().await.status, 200);
//! let other = user("bob", &[]);
//! assert_eq!(app.get("/v1/reports").as_user(other).send().await.status, 403);
//! # }
//! ```
//!
//! Requests go through the whole stack (authentication, scope, route
//! policy, quota, your guards) exactly as over the network; only the socket
//! is left out (each request comes from 127.0.0.1, or [`TestRequest::from`]).
//! A test user is accepted beside the configured provider: tokens of the
//! config's own keys or of a [`TestIssuer`] work too. With no provider in the
//! config, the test users are the only one, so protected routes need
//! [`TestRequest::as_user`].

mod issuer;
mod users;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub use issuer::TestIssuer;

use self::users::{TestUsers, WithTestUsers};
use crate::config::Config;
use crate::pipeline::guard::Guard;
use crate::principal::User;
use crate::route::registry::{self, RouteEntry};
use crate::route::state::StateMap;
use crate::router::RouterBuilder;
use crate::security::Security;
use crate::security::settings::Settings;

/// A user with `principal` and `attributes` (`&[("roles", &["admin"])]`).
pub fn user(principal: &str, attributes: &[(&str, &[&str])]) -> User {
    let attributes: BTreeMap<String, Vec<String>> = attributes
        .iter()
        .map(|(name, values)| {
            (
                (*name).to_owned(),
                values.iter().map(|v| (*v).to_owned()).collect(),
            )
        })
        .collect();
    User::new(principal, attributes)
}

/// An app's router under a config, ready for in-process requests.
#[derive(Clone)]
pub struct TestApp {
    router: Router,
    users: Arc<TestUsers>,
}

/// Builds a [`TestApp`]; see [`TestApp::builder`].
#[derive(Default)]
pub struct TestAppBuilder {
    config: Option<String>,
    entries: Option<Vec<&'static RouteEntry>>,
    states: StateMap,
    guards: Vec<Arc<dyn Guard>>,
}

impl TestAppBuilder {
    /// The config, as YAML (`run.yaml` shape; `${env.X}` is not substituted).
    /// Default: empty (no provider, no policies).
    pub fn config(mut self, yaml: &str) -> Self {
        self.config = Some(yaml.to_owned());
        self
    }

    /// Serve these entries instead of the whole registry.
    pub fn entries(mut self, entries: Vec<&'static RouteEntry>) -> Self {
        self.entries = Some(entries);
        self
    }

    /// Serve the registry's entries of module `path` and its submodules
    /// (a test binary's registry holds every test's handlers).
    pub fn module(self, path: &str) -> Self {
        let entries = registry::registered()
            .into_iter()
            .filter(|e| {
                e.module_path
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
            })
            .collect();
        self.entries(entries)
    }

    /// Registers an app state; handlers taking `State<T>` get a clone of it.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, state: T) -> Self {
        self.states.insert(state);
        self
    }

    /// Appends a guard of the app's own, as [`App::guard`](crate::App::guard).
    pub fn guard(mut self, guard: impl Guard) -> Self {
        self.guards.push(Arc::new(guard));
        self
    }

    /// Checks the config and the routes and builds the router, as the server
    /// would at startup (the same errors).
    pub fn build(self) -> Result<TestApp, crate::AppError> {
        let config = match &self.config {
            Some(yaml) => Config::parse(yaml, "<test config>", &|_| None)?,
            None => Config::default(),
        };
        let settings = Settings::from_config(&config)?;
        let users = Arc::new(TestUsers::default());
        let security = Security::new(&settings)?.wrap_provider(|inner| {
            Arc::new(WithTestUsers {
                users: users.clone(),
                inner,
            })
        });
        let mut builder = RouterBuilder::new()
            .states(self.states)
            .security(security)
            .guards(self.guards);
        if let Some(entries) = self.entries {
            builder = builder.entries(entries);
        }
        Ok(TestApp {
            router: builder.build()?.router,
            users,
        })
    }
}

impl TestApp {
    /// A builder: config, entries, states, guards.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder::default()
    }

    /// The whole registry under `yaml`.
    pub fn with_config(yaml: &str) -> Result<TestApp, crate::AppError> {
        TestApp::builder().config(yaml).build()
    }

    /// The router, to serve it on a socket yourself.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// A request with `method` to `uri` (a path, with a query if any).
    pub fn request(&self, method: Method, uri: &str) -> TestRequest<'_> {
        TestRequest {
            app: self,
            method,
            uri: uri.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
            from: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 40000),
        }
    }

    /// A `GET` request.
    pub fn get(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::GET, uri)
    }

    /// A `POST` request.
    pub fn post(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::POST, uri)
    }

    /// A `PUT` request.
    pub fn put(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::PUT, uri)
    }

    /// A `PATCH` request.
    pub fn patch(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::PATCH, uri)
    }

    /// A `DELETE` request.
    pub fn delete(&self, uri: &str) -> TestRequest<'_> {
        self.request(Method::DELETE, uri)
    }
}

/// One request to a [`TestApp`], anonymous until told otherwise.
pub struct TestRequest<'a> {
    app: &'a TestApp,
    method: Method,
    uri: String,
    headers: HeaderMap,
    body: Bytes,
    from: SocketAddr,
}

impl TestRequest<'_> {
    /// Sent as `user`: authenticated as if a provider had vouched for it,
    /// then through the scope, policies and quota as any caller.
    pub fn as_user(self, user: User) -> Self {
        let token = self.app.users.token_for(user);
        self.token(&token)
    }

    /// Sent with `Authorization: Bearer <token>` (a key of the config, a
    /// [`TestIssuer`] token, a bad one).
    pub fn token(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Adds a header. Panics on a name or value HTTP does not allow.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        let name = HeaderName::from_bytes(name.as_bytes()).expect("a valid header name");
        let value = HeaderValue::from_str(value).expect("a valid header value");
        self.headers.append(name, value);
        self
    }

    /// A JSON body (and its content type).
    pub fn json<T: serde::Serialize>(mut self, body: &T) -> Self {
        self.body = serde_json::to_vec(body)
            .expect("the body serializes")
            .into();
        self.header("content-type", "application/json")
    }

    /// A raw body.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// The client's address, as the quota and `trusted_proxies` see it
    /// (default 127.0.0.1).
    pub fn from(mut self, addr: SocketAddr) -> Self {
        self.from = addr;
        self
    }

    /// Sends it through the router and reads the whole answer.
    pub async fn send(self) -> TestResponse {
        let mut request = Request::builder()
            .method(self.method)
            .uri(&self.uri)
            .body(Body::from(self.body))
            .expect("a valid request");
        *request.headers_mut() = self.headers;
        request.extensions_mut().insert(ConnectInfo(self.from));
        let response = match self.app.router.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }
}

/// The answer to a [`TestRequest`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TestResponse {
    /// The status (compares with a number: `response.status == 200`).
    pub status: StatusCode,
    /// Every header of the answer.
    pub headers: HeaderMap,
    /// The whole body.
    pub body: Bytes,
}

impl TestResponse {
    /// The body as JSON. Panics, showing the body, when it is not.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "the body is not the JSON expected ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}
