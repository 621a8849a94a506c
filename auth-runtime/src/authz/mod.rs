//! Authorization: what an authenticated caller may do.

mod scope;

pub use scope::ScopeCheck;
