//! The link-time registry: one static [`RouteEntry`] per `#[webmethod]` route.

pub(crate) mod record;

use std::fmt;

use axum::http;
use axum::routing::{MethodFilter, MethodRouter};
use serde::Serialize;

use crate::route::state::{MissingState, StateMap};

/// The HTTP methods a route may declare.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
#[non_exhaustive]
pub enum Method {
    /// `GET` (also serves `HEAD`).
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `PATCH`
    Patch,
    /// `DELETE`
    Delete,
}

impl Method {
    /// Every method, in a fixed order (also the index order of [`Method::index`]).
    pub const ALL: [Method; 5] = [
        Method::Get,
        Method::Post,
        Method::Put,
        Method::Patch,
        Method::Delete,
    ];

    /// The method's name, as on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// Position in [`Method::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The axum filter for this method. `GET` also answers `HEAD`, as in axum.
    pub fn filter(self) -> MethodFilter {
        match self {
            Method::Get => MethodFilter::GET,
            Method::Post => MethodFilter::POST,
            Method::Put => MethodFilter::PUT,
            Method::Patch => MethodFilter::PATCH,
            Method::Delete => MethodFilter::DELETE,
        }
    }

    /// The declared method that serves a request method (`HEAD` is served by `GET`).
    pub fn serving(method: &http::Method) -> Option<Method> {
        Some(match *method {
            http::Method::GET | http::Method::HEAD => Method::Get,
            http::Method::POST => Method::Post,
            http::Method::PUT => Method::Put,
            http::Method::PATCH => Method::Patch,
            http::Method::DELETE => Method::Delete,
            _ => return None,
        })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Builds a route's method router, closing it over the app state it needs,
/// with the security pipeline around the handler when the route needs one.
pub(crate) type BuildFn = fn(&StateMap, Option<&RouteLayer>) -> Result<MethodRouter, MissingState>;

/// The security pipeline of one route, as a route's [`BuildFn`] receives it:
/// opaque here, so that the routes do not depend on the pipeline (which
/// names routes); the generated code's `route` takes it back out, once, when
/// the router is built (nothing of it is left on the request path).
#[doc(hidden)]
pub struct RouteLayer(Box<dyn std::any::Any + Send + Sync>);

impl RouteLayer {
    pub(crate) fn new<L: std::any::Any + Send + Sync>(layer: L) -> RouteLayer {
        RouteLayer(Box::new(layer))
    }

    pub(crate) fn get<L: std::any::Any>(&self) -> Option<&L> {
        self.0.downcast_ref()
    }
}

/// One route of one handler, as `#[webmethod]` validated it at compile time.
#[derive(Debug)]
#[non_exhaustive]
pub struct RouteEntry {
    /// The `method` of the attribute.
    pub method: Method,
    /// The served path in the router's syntax (`/v1/files/{*path}`), level included.
    pub path: &'static str,
    /// The `route` value as written in the attribute (`/files/{path:path}`).
    pub template: &'static str,
    /// The API level (`v1`), the first segment of `path` when set.
    pub level: Option<&'static str>,
    /// Path parameter names, in order.
    pub params: &'static [&'static str],
    /// `require_authentication` (default `true`): the caller must be
    /// authenticated to reach the handler.
    pub require_authentication: bool,
    /// `required_scope`: a scope the caller's `scopes` attribute must hold.
    pub required_scope: Option<&'static str>,
    /// `deprecated` (default `false`): marked deprecated in listings and the
    /// API description.
    pub deprecated: bool,
    /// `descriptive_name`: a human name for listings (the operation's
    /// summary when the doc comment gives none).
    pub descriptive_name: Option<&'static str>,
    /// The handler function's name.
    pub handler: &'static str,
    /// The module the handler is in (`module_path!()`).
    pub module_path: &'static str,
    /// Source file and line of the `#[webmethod]` attribute.
    pub file: &'static str,
    /// The line, in `file`, of the `#[webmethod]` attribute.
    pub line: u32,
    /// The app state type the handler is built against, as written.
    pub state: Option<&'static str>,
    /// The handler takes `Option<AuthenticatedUser>`: on a public route, a
    /// bearer token is then read if one is sent (optional authentication).
    pub optional_user: bool,
    /// The handler takes `Access`: the access policy and the caller are handed
    /// to it, on public routes too.
    pub access: bool,
    /// What the API description says of it (parameters, body, responses).
    pub doc: record::OperationDoc,
    #[doc(hidden)]
    pub build: BuildFn,
}

/// A [`RouteEntry`]'s fields, for the code `#[webmethod]` generates (the
/// entry itself is `#[non_exhaustive]`, so that it may grow).
#[doc(hidden)]
#[derive(Debug)]
#[expect(
    clippy::exhaustive_structs,
    reason = "generated code writes it field by field; only the macro of the same release does"
)]
pub struct RouteEntryParts {
    pub method: Method,
    pub path: &'static str,
    pub template: &'static str,
    pub level: Option<&'static str>,
    pub params: &'static [&'static str],
    pub require_authentication: bool,
    pub required_scope: Option<&'static str>,
    pub deprecated: bool,
    pub descriptive_name: Option<&'static str>,
    pub handler: &'static str,
    pub module_path: &'static str,
    pub file: &'static str,
    pub line: u32,
    pub state: Option<&'static str>,
    pub optional_user: bool,
    pub access: bool,
    pub doc: record::OperationDoc,
    pub build: BuildFn,
}

impl RouteEntry {
    /// The entry of these parts, in a `static` (generated code).
    #[doc(hidden)]
    pub const fn from_parts(parts: RouteEntryParts) -> RouteEntry {
        RouteEntry {
            method: parts.method,
            path: parts.path,
            template: parts.template,
            level: parts.level,
            params: parts.params,
            require_authentication: parts.require_authentication,
            required_scope: parts.required_scope,
            deprecated: parts.deprecated,
            descriptive_name: parts.descriptive_name,
            handler: parts.handler,
            module_path: parts.module_path,
            file: parts.file,
            line: parts.line,
            state: parts.state,
            optional_user: parts.optional_user,
            access: parts.access,
            doc: parts.doc,
            build: parts.build,
        }
    }

    /// `file:line` of the attribute, for messages.
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// `handler` (`module::path`) at `file:line`, for messages naming the route.
    pub fn describe(&self) -> String {
        format!(
            "{} {} (handler `{}::{}` at {}:{})",
            self.method, self.path, self.module_path, self.handler, self.file, self.line
        )
    }

    /// The deterministic order of the registry: path, method, then source location.
    fn sort_key(&self) -> (&'static str, Method, &'static str, u32) {
        (self.path, self.method, self.file, self.line)
    }
}

inventory::collect!(RouteEntry);

/// Every registered route of the program, in a deterministic order.
pub fn registered() -> Vec<&'static RouteEntry> {
    let mut entries: Vec<&'static RouteEntry> = inventory::iter::<RouteEntry>.into_iter().collect();
    sort(&mut entries);
    entries
}

/// Sorts entries into the registry's deterministic order.
pub(crate) fn sort(entries: &mut [&'static RouteEntry]) {
    entries.sort_by_key(|e| e.sort_key());
}
