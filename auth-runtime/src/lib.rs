//! # webmethod
//!
//! Auth policy declared next to each axum handler. `#[webmethod(...)]` registers
//! a handler, its route and its authentication requirements in a link-time
//! registry; [`App`] (or [`RouterBuilder`]) builds the route table, the axum
//! router and the security stack from that registry.
//!
//! ```no_run
//! use auth_runtime::{App, webmethod};
//! use axum::{Json, extract::State};
//!
//! #[derive(Clone, Default)]
//! struct AppState { greeting: &'static str }
//!
//! #[webmethod(route = "/health", method = "GET", level = "v1", require_authentication = false)]
//! async fn health() -> &'static str { "ok" }
//!
//! #[webmethod(route = "/hello/{name}", method = "GET", level = "v1", required_scope = "hello.read")]
//! async fn hello(State(s): State<AppState>, axum::extract::Path(name): axum::extract::Path<String>) -> String {
//!     format!("{}, {name}", s.greeting)
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::process::ExitCode {
//!     App::new().state(AppState { greeting: "hello" }).run().await
//! }
//! ```
//!
//! The root holds what an app names; the modules hold the extension points:
//! [`authn`] (a provider of your own: [`authn::AuthProvider`]), [`authz`]
//! ([`authz::Access`], [`authz::ProtectedResource`], the policies),
//! [`quota`] (a store of your own: [`quota::QuotaStore`]), [`config`] (the
//! YAML, typed), [`route`] (the registered routes and their table),
//! [`extract`] (extractors whose rejections are JSON errors), `openapi`
//! (the API description, feature `openapi`) and `testing` (feature
//! `testing`).
//!
//! Features: `server` (`App`, its command line and server), `openapi` and
//! `metrics` are on by default; `sqlite`, `redis` and `testing` are off.
//! With `default-features = false` an embedder builds [`RouterBuilder`],
//! [`Security`], the providers and the policies, without clap,
//! tracing-subscriber, prometheus-client or schemars (README "Features").

#![warn(missing_docs)]
#![warn(clippy::exhaustive_structs, clippy::exhaustive_enums)]
#![warn(unreachable_pub)]

// Generated code names this crate `::auth_runtime` when used from inside it.
extern crate self as auth_runtime;

#[cfg(feature = "server")]
mod app;
pub mod authn;
pub mod authz;
#[cfg(feature = "server")]
mod cli;
pub mod config;
mod digest;
mod errors;
pub mod extract;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
pub mod openapi;
mod pipeline;
mod principal;
pub mod quota;
pub mod route;
mod router;
mod security;
mod serve;
mod telemetry;
#[cfg(feature = "testing")]
pub mod testing;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

// The crate's root: what an app names. Extension points (providers,
// policies, quota stores, the API description, route listings) are the
// public modules above; everything else is private.
#[cfg(feature = "server")]
pub use app::App;
/// For implementing [`Guard`], [`authn::AuthProvider`] and [`quota::QuotaStore`].
pub use async_trait::async_trait;
pub use errors::{AppError, Errors};
pub use extract::error::ApiError;
pub use pipeline::caller::Caller;
pub use pipeline::guard::Guard;
pub use principal::{Attributes, AuthenticatedUser, ClaimsError, User};
pub use route::state::StateMap;
pub use route::target::Target;
pub use router::{BuildError, BuiltRouter, RouterBuilder};
/// For `#[derive(JsonSchema)]` on the types of handlers, which the API
/// description documents (or depend on `schemars` 1.x yourself).
#[cfg(feature = "openapi")]
pub use schemars;
pub use security::Security;
pub use security::settings::Settings;
pub use serve::request_id::RequestId;

/// The README's examples compile.
#[cfg(all(doctest, feature = "server", feature = "openapi"))]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

#[doc = include_str!("webmethod.md")]
pub use auth_macros::webmethod;
