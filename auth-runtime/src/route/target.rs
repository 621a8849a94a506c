//! What a request is about to reach: a registered route, or none.

use crate::route::registry::RouteEntry;

/// What a request is about to reach.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Target {
    /// The route that will serve it.
    Route(&'static RouteEntry),
    /// No route: the answer will be 404 or 405. Treated as protected, so a
    /// caller must authenticate before learning which paths exist.
    Unmatched,
}

impl Target {
    /// The route for logs and metrics: its template, never the raw request
    /// path (`<unmatched>` for no route).
    pub fn route_name(self) -> &'static str {
        match self {
            Target::Route(entry) => entry.path,
            Target::Unmatched => "<unmatched>",
        }
    }

    /// Whether the caller must be authenticated (always, for unmatched requests).
    pub fn requires_authentication(self) -> bool {
        match self {
            Target::Route(entry) => entry.require_authentication,
            Target::Unmatched => true,
        }
    }

    /// The scope the route requires, if any.
    pub fn required_scope(self) -> Option<&'static str> {
        match self {
            Target::Route(entry) => entry.required_scope,
            Target::Unmatched => None,
        }
    }

    /// The route entry, when there is one.
    pub fn entry(self) -> Option<&'static RouteEntry> {
        match self {
            Target::Route(entry) => Some(entry),
            Target::Unmatched => None,
        }
    }
}
