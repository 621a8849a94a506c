//! From the registry to a ready `axum::Router`, with the security pipeline in
//! front of each route that needs it, of the 404 fallback and of each path's
//! 405 answer.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::handler::Handler;
use axum::http::{HeaderValue, header::CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, any, get};
use bytes::Bytes;

use crate::extract::error;
use crate::pipeline::Pipeline;
use crate::pipeline::guard::Guard;
use crate::pipeline::stack::RouteStack;
use crate::route::registry::RouteEntry;
use crate::route::state::{MissingState, StateMap};
use crate::route::table::{Lookup, RouteTable, TableError};
use crate::route::target::Target;
use crate::security::Security;
use crate::serve::request_id::RequestIdLayer;

/// Builds the router of every `#[webmethod]` route.
///
/// ```no_run
/// use auth_runtime::{RouterBuilder, webmethod};
///
/// #[webmethod(route = "/health", method = "GET", level = "v1", require_authentication = false)]
/// async fn health() -> &'static str {
///     "ok"
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let config = auth_runtime::config::Config::load("run.yaml".as_ref())?;
/// let built = RouterBuilder::new()
///     .security(auth_runtime::Security::from_config(&config)?)
///     .build()?;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// axum::serve(listener, built.router).await?;
/// # Ok(()) }
/// ```
#[derive(Default)]
pub struct RouterBuilder {
    entries: Option<Vec<&'static RouteEntry>>,
    states: StateMap,
    security: Option<Security>,
    guards: Vec<Arc<dyn Guard>>,
    /// Path and body of the OpenAPI document, served without authentication.
    openapi: Option<(String, Bytes)>,
    /// The app's own routers, and whether each is behind the pipeline.
    merged: Vec<(Router, Protection)>,
    /// The app's answer to unmatched requests, after the pipeline.
    fallback: Option<MethodRouter>,
}

/// Whether an app's own router is served behind the security pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protection {
    /// As an unmatched request is: authentication, the route policy, the
    /// quota and the app's guards.
    Protected,
    /// Outside the pipeline: anyone reaches it.
    Public,
}

/// The router and the table it was built from.
#[non_exhaustive]
pub struct BuiltRouter {
    /// Every route, the pipeline in front of those that need it, the
    /// fallback; serve it with `axum::serve` or merge it into your app.
    pub router: Router,
    /// The route table it was built from (for listings and lookups).
    pub table: Arc<RouteTable>,
}

/// One reason the router could not be built.
#[derive(Debug)]
#[non_exhaustive]
pub enum BuildError {
    /// The routes conflict, or there are none.
    Table(TableError),
    /// Neither [`RouterBuilder::security`] nor
    /// [`RouterBuilder::without_security`] was called: serving protected
    /// routes open must be asked for.
    NoSecurity,
    /// A handler takes `State<T>` for a `T` no `.state(..)` registered.
    MissingState {
        /// The route whose handler needs it.
        entry: &'static RouteEntry,
        /// The state type it needs.
        missing: MissingState,
    },
    /// An app router could not be merged (axum refused it: a path served
    /// twice, or a router that has a fallback of its own).
    Merge(String),
    /// The OpenAPI document's path is one a route serves.
    OpenApiPath {
        /// `server.openapi.path`.
        path: String,
        /// The route that serves it.
        entry: &'static RouteEntry,
    },
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Table(e) => e.fmt(f),
            BuildError::NoSecurity => f.write_str(
                "no security configured: call `.security(Security::from_config(&config)?)`, or \
                 `.without_security()` to serve every route without authentication",
            ),
            BuildError::MissingState { entry, missing } => write!(
                f,
                "{} takes `State<{}>`, but no state of that type was registered: add it with \
                 `.state(..)`",
                entry.describe(),
                missing.type_name
            ),
            BuildError::Merge(reason) => write!(
                f,
                "an app router cannot be merged: {reason} (give its fallback to \
                 `RouterBuilder::fallback`, and serve each path once)"
            ),
            BuildError::OpenApiPath { path, entry } => write!(
                f,
                "server.openapi.path: {path} is served by {}; choose another path",
                entry.describe()
            ),
        }
    }
}

/// Every reason the router could not be built, reported together (one or
/// more).
pub(crate) type BuildErrors = crate::Errors<BuildError>;

impl RouterBuilder {
    /// A builder over the whole registry, with no state, security or guard yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serve these entries instead of the whole registry (tests, sub-apps).
    pub fn entries(mut self, entries: Vec<&'static RouteEntry>) -> Self {
        self.entries = Some(entries);
        self
    }

    /// Registers an app state; handlers taking `State<T>` get a clone of it.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, state: T) -> Self {
        self.states.insert(state);
        self
    }

    /// Replaces the registered states.
    pub fn states(mut self, states: StateMap) -> Self {
        self.states = states;
        self
    }

    /// The states registered so far.
    pub fn state_map(&mut self) -> &mut StateMap {
        &mut self.states
    }

    /// The security the routes are served behind (authentication, quota,
    /// policies); see [`Security::from_config`].
    pub fn security(mut self, security: Security) -> Self {
        self.security = Some(security);
        self
    }

    /// Serves every route without authentication, quota or policies.
    pub fn without_security(self) -> Self {
        self.security(Security::off())
    }

    /// Appends a step of your own. Guards run in the order added, after the
    /// built-in security steps, in front of every route, of the 404 fallback
    /// and of the 405 answer.
    pub fn guard(mut self, guard: impl Guard) -> Self {
        self.guards.push(Arc::new(guard));
        self
    }

    /// Appends several guards, in order.
    pub fn guards(mut self, guards: impl IntoIterator<Item = Arc<dyn Guard>>) -> Self {
        self.guards.extend(guards);
        self
    }

    /// Serves the app's own (unannotated) routes behind the security
    /// pipeline, as an unmatched request is served: the caller must
    /// authenticate, and the route policy, the quota and the app's guards
    /// apply. `router` must not have a fallback of its own (see
    /// [`fallback`](Self::fallback)) nor serve a path a route serves.
    pub fn merge(mut self, router: Router) -> Self {
        self.merged.push((router, Protection::Protected));
        self
    }

    /// Serves `router` outside the security pipeline: anyone reaches its
    /// routes, with no authentication, quota or policy. For what must stay
    /// open (a load balancer's health check); the server logs a warning
    /// naming how many such routers there are.
    pub fn merge_public(mut self, router: Router) -> Self {
        self.merged.push((router, Protection::Public));
        self
    }

    /// Answers requests no route matches with `handler` instead of the JSON
    /// 404, after the pipeline (so an unauthenticated caller still gets 401
    /// and learns nothing about which paths exist).
    pub fn fallback<H, T>(mut self, handler: H) -> Self
    where
        H: Handler<T, ()>,
        T: 'static,
    {
        self.fallback = Some(any(handler));
        self
    }

    /// Serves `document` (an OpenAPI document as JSON, see
    /// [`OpenApi`](crate::openapi::OpenApi)) at `path`, without
    /// authentication. The path must be one no route serves.
    pub fn openapi(mut self, path: impl Into<String>, document: impl Into<Bytes>) -> Self {
        self.openapi = Some((path.into(), document.into()));
        self
    }

    /// Checks the table, closes every handler over its state, and puts the
    /// security pipeline in front of every route that needs a step of it.
    pub fn build(self) -> Result<BuiltRouter, crate::Errors<BuildError>> {
        let table = match self.entries {
            Some(entries) => RouteTable::new(entries),
            None => RouteTable::from_registry(),
        }
        .map_err(|e| BuildErrors::new(BuildError::Table(e)))?;
        let Some(security) = self.security else {
            return Err(BuildErrors::new(BuildError::NoSecurity));
        };
        // A proxy's x-request-id is believed from the quota's trusted proxies only.
        let request_id =
            RequestIdLayer::new(security.quota.as_ref().map(|q| q.trusted_proxies.clone()));
        let metrics = security.telemetry.metrics().cloned();
        let pipeline = Pipeline::new(security, self.guards);
        // Each handler's layers, in request order (see `pipeline::stack`):
        // request id, metrics under `route` (when on), the target's pipeline.
        let stack = |route: &'static str, target: Target| {
            RouteStack::new(
                &request_id,
                metrics.as_ref().map(|m| (m, route)),
                pipeline.layer(target),
            )
        };

        // Unmatched requests (404, and each path's 405) are authenticated like
        // protected routes: no probing which paths exist without credentials.
        pipeline.warn_unknown_exemptions(table.paths().iter().map(|g| g.path));
        let mut errors = Vec::new();
        let mut router = Router::new();
        for group in table.paths() {
            // The path's 405 answer, as an `any` fallback: axum then adds no
            // `Allow` header of its own (which it would add to a 401,
            // telling an unauthenticated caller which methods exist); the
            // answer sets it once the pipeline lets the caller through.
            let not_allowed = method_not_allowed(group.entries().map(|e| e.method));
            let mut merged: MethodRouter =
                any(stack(group.path, Target::Unmatched).handler(not_allowed));
            for entry in group.entries() {
                // The layers wrap this entry's handler only, so two entries
                // on one path keep their own requirements.
                let layer = crate::route::registry::RouteLayer::new(stack(
                    group.path,
                    Target::Route(entry),
                ));
                match (entry.build)(&self.states, Some(&layer)) {
                    Ok(method_router) => merged = merged.merge(method_router),
                    Err(missing) => errors.push(BuildError::MissingState { entry, missing }),
                }
            }
            router = router.route(group.path, merged);
        }
        if let Some((path, document)) = self.openapi {
            match table.lookup(&axum::http::Method::GET, &path) {
                Lookup::NotFound => {
                    // Served to anyone, not counted: its id only.
                    let layers = RouteStack::new(&request_id, None, None);
                    router = router.route(&path, get(layers.handler(openapi_document(document))));
                }
                Lookup::Found { entry, .. } => errors.push(BuildError::OpenApiPath { path, entry }),
                Lookup::MethodNotAllowed { routes } => {
                    if let Some(entry) = routes.entries().next() {
                        errors.push(BuildError::OpenApiPath { path, entry });
                    }
                }
            }
        }
        BuildErrors::check(std::mem::take(&mut errors))?;
        let unmatched = stack(Target::Unmatched.route_name(), Target::Unmatched);
        let router = match self.fallback {
            // The app's own answer, behind the same steps as the JSON 404.
            Some(fallback) => router.fallback_service(fallback.layer(unmatched)),
            None => router.fallback(unmatched.handler(error::not_found)),
        };
        // After the fallback is set: axum then refuses an app router with a
        // fallback of its own instead of letting one replace the other.
        let mut router = router;
        let public = self
            .merged
            .iter()
            .filter(|(_, p)| *p == Protection::Public)
            .count();
        if public > 0 {
            tracing::warn!(
                routers = public,
                "app routes merged with merge_public are served outside the security pipeline: no authentication, quota or policy"
            );
        }
        for (app, protection) in self.merged {
            // Not counted in the metrics (as before); the app's own router
            // keeps its matched paths for the request's span.
            let app = match protection {
                // Served as unmatched requests are.
                Protection::Protected => app.layer(RouteStack::new(
                    &request_id,
                    None,
                    pipeline.layer(Target::Unmatched),
                )),
                Protection::Public => app.layer(RouteStack::new(&request_id, None, None)),
            };
            let current = std::mem::take(&mut router);
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| current.merge(app))) {
                Ok(merged) => router = merged,
                Err(panic) => {
                    let reason = panic
                        .downcast_ref::<String>()
                        .map(String::as_str)
                        .or_else(|| panic.downcast_ref::<&str>().copied())
                        .unwrap_or("axum refused it");
                    errors.push(BuildError::Merge(reason.to_owned()));
                }
            }
        }
        BuildErrors::check(errors)?;
        Ok(BuiltRouter {
            // Every route, the fallback and the merged routers carry their
            // layers (one span and id per request). `with_state(())` turns
            // every handler into its route now: axum otherwise clones and
            // converts a stateless handler (and the 405s and the fallback)
            // on every request it serves, two allocations each time.
            router: router.with_state(()),
            table: Arc::new(table),
        })
    }
}

/// The handler of the OpenAPI document: the same bytes every time.
fn openapi_document(
    document: Bytes,
) -> impl Fn() -> std::future::Ready<Response> + Clone + Send + Sync + 'static {
    move || {
        let mut response = document.clone().into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        std::future::ready(response)
    }
}

/// A handler answering JSON 405 with the path's `Allow` header (`GET` also
/// allows `HEAD`, as axum serves it).
fn method_not_allowed(
    methods: impl Iterator<Item = crate::route::registry::Method>,
) -> impl Fn() -> std::future::Ready<axum::response::Response> + Clone + Send + Sync + 'static {
    let mut allow: Vec<&str> = Vec::new();
    for method in methods {
        allow.push(method.as_str());
        if method == crate::route::registry::Method::Get {
            allow.push("HEAD");
        }
    }
    let allow = axum::http::HeaderValue::from_str(&allow.join(","))
        .unwrap_or(axum::http::HeaderValue::from_static(""));
    move || {
        let mut response = crate::extract::error::ApiError::new(
            axum::http::StatusCode::METHOD_NOT_ALLOWED,
            "Method Not Allowed",
        )
        .into_response();
        response
            .headers_mut()
            .insert(axum::http::header::ALLOW, allow.clone());
        std::future::ready(response)
    }
}
