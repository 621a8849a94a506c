//! Authorization: what a caller may do. The `required_scope` check, the route
//! policy and the resource access policy, with llama-stack's semantics
//! (LLAMA-STACK-SEMANTICS.md), compiled at load and explained per decision.

mod access;
mod condition;
mod decision;
mod error;
pub(crate) mod lint;
mod pattern;
mod resource;
mod resource_policy;
mod route_policy;
mod rules;
pub(crate) mod scope;

pub use access::Access;
pub use decision::{Basis, Decision};
pub use error::{PolicyError, RuleError};
pub(crate) use lint::{Produced, lint_compiled};
pub use resource::{ProtectedResource, Resource};
pub(crate) use resource_policy::shared_default_policy;
pub use resource_policy::{AccessPolicy, is_action_allowed};
pub use route_policy::RoutePolicy;
pub use rules::Action;
