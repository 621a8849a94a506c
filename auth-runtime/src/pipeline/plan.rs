//! What one route needs from the security pipeline, decided once, by one pure
//! function ([`Plan::decide`]) that both sides read: the pipeline executes the
//! plan, and the OpenAPI document derives each operation's 401/403/429/500/503
//! responses from it. Change a rule here and both follow.

use crate::authz::RoutePolicy;
use crate::quota::ExemptRoutes;
use crate::route::target::Target;

/// The facts about a router's security a plan depends on: the smallest input
/// both the running [`Security`](crate::security::Security) and the loaded
/// [`Settings`](crate::security::settings::Settings) (for the OpenAPI document) can give.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Facts<'a> {
    /// A credential provider is configured (in the config or in code).
    pub(crate) authentication: bool,
    /// The route policy, when one with rules is configured.
    pub(crate) routes: Option<&'a RoutePolicy>,
    /// The quota's exempt routes, when a quota is configured.
    pub(crate) quota: Option<&'a ExemptRoutes>,
    /// The app registered guards of its own (they read the caller).
    pub(crate) guards: bool,
}

/// Whether a route reads the caller's credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Authenticate {
    /// Public route, or authentication off.
    Skip,
    /// Protected route, or no route at all: no user, no service.
    Required,
    /// Public route whose handler takes `Option<AuthenticatedUser>`: a user
    /// if the caller sent accepted credentials, never an error answer.
    Optional,
}

/// Whether the quota applies to a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quota {
    /// No quota configured.
    Off,
    /// A quota is configured, but the route is in `server.quota.exempt_routes`.
    Exempt,
    /// The quota charges this route.
    Charged,
}

/// What one target needs, decided when the router is built.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Plan {
    pub(crate) target: Target,
    pub(crate) authenticate: Authenticate,
    /// `required_scope`, when authentication is on.
    pub(crate) scope: Option<&'static str>,
    /// The route policy must be asked per request (it may deny).
    pub(crate) route_policy: bool,
    /// The caller is recorded for the extractors and the app's guards.
    pub(crate) caller: bool,
    /// What the quota does on this target.
    pub(crate) quota: Quota,
}

impl Plan {
    /// The plan of `target` under `facts`. Pure: no I/O, no globals.
    pub(crate) fn decide(target: Target, facts: &Facts<'_>) -> Plan {
        let authentication = facts.authentication;
        let entry = target.entry();
        let authenticate = if !authentication {
            Authenticate::Skip
        } else if target.requires_authentication() {
            Authenticate::Required
        } else if entry.is_some_and(|e| e.optional_user) {
            Authenticate::Optional
        } else {
            Authenticate::Skip
        };
        let scope = target.required_scope().filter(|_| authentication);
        // On a fixed path the route policy's answer is often known now: for
        // an anonymous caller always, for any caller when the first rule that
        // matches the path has no condition. Only a denial, or an answer that
        // depends on the caller, needs the per-request step.
        let route_policy = match (facts.routes, entry) {
            (None, _) => false,
            (Some(policy), Some(e)) if e.params.is_empty() => {
                let known = if authenticate == Authenticate::Skip {
                    Some(policy.decide(e.path, None))
                } else {
                    policy.decide_for_any_caller(e.path)
                };
                !known.is_some_and(|d| d.allowed)
            }
            (Some(_), _) => true,
        };
        let caller =
            authenticate != Authenticate::Skip || entry.is_some_and(|e| e.access) || facts.guards;
        // Exempt routes (probes) are never charged: decided here, once.
        let quota = match facts.quota {
            None => Quota::Off,
            Some(exempt) if entry.is_some_and(|e| exempt.exempts(e.path)) => Quota::Exempt,
            Some(_) => Quota::Charged,
        };
        Plan {
            target,
            authenticate,
            scope,
            route_policy,
            caller,
            quota,
        }
    }

    /// The quota charges this target.
    pub(crate) fn charge(&self) -> bool {
        self.quota == Quota::Charged
    }

    /// Some step applies: otherwise the route gets no layer at all.
    pub(crate) fn needed(&self) -> bool {
        self.charge()
            || self.authenticate != Authenticate::Skip
            || self.scope.is_some()
            || self.route_policy
            || self.caller
    }

    /// The pipeline may answer 401 (no accepted credentials) and 503 (the
    /// provider is unavailable) in the handler's place.
    #[cfg_attr(not(feature = "openapi"), allow(dead_code))] // the document reads it
    pub(crate) fn may_answer_unauthorized(&self) -> bool {
        self.authenticate == Authenticate::Required
    }

    /// The pipeline may answer 403: the route's required scope (on a
    /// protected route) or the route policy.
    #[cfg_attr(not(feature = "openapi"), allow(dead_code))] // the document reads it
    pub(crate) fn may_answer_forbidden(&self) -> bool {
        (self.authenticate == Authenticate::Required && self.scope.is_some()) || self.route_policy
    }

    /// The quota may answer 429 / 500 (store failure): only where it
    /// charges, never on a route of `server.quota.exempt_routes`.
    #[cfg_attr(not(feature = "openapi"), allow(dead_code))] // the document reads it
    pub(crate) fn may_answer_quota(&self) -> bool {
        self.charge()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::registry::{Method, RouteEntry};
    use crate::route::state::{MissingState, StateMap};
    use axum::routing::MethodRouter;

    fn build(
        _: &StateMap,
        _: Option<&crate::route::registry::RouteLayer>,
    ) -> Result<MethodRouter, MissingState> {
        Ok(MethodRouter::new())
    }

    fn route(path: &'static str, protected: bool, optional_user: bool) -> Target {
        Target::Route(Box::leak(Box::new(RouteEntry {
            method: Method::Get,
            path,
            template: path,
            level: None,
            params: &[],
            require_authentication: protected,
            required_scope: None,
            deprecated: false,
            descriptive_name: None,
            handler: "h",
            module_path: "tests",
            file: "src/test.rs",
            line: 1,
            state: None,
            optional_user,
            access: false,
            doc: crate::openapi::OperationDoc::new("h"),
            build,
        })))
    }

    const OFF: Facts<'static> = Facts {
        authentication: false,
        routes: None,
        quota: None,
        guards: false,
    };

    #[test]
    fn authentication_off_skips_every_route_and_needs_no_layer() {
        for target in [route("/v1/a", true, false), route("/v1/b", false, true)] {
            let plan = Plan::decide(target, &OFF);
            assert_eq!(plan.authenticate, Authenticate::Skip);
            assert!(!plan.needed() && !plan.may_answer_unauthorized());
        }
    }

    #[test]
    fn authentication_on_requires_protected_routes_and_unmatched_paths() {
        let on = Facts {
            authentication: true,
            ..OFF
        };
        let protected = Plan::decide(route("/v1/a", true, false), &on);
        assert_eq!(protected.authenticate, Authenticate::Required);
        assert!(protected.needed() && protected.may_answer_unauthorized());
        assert_eq!(
            Plan::decide(Target::Unmatched, &on).authenticate,
            Authenticate::Required
        );
        let optional = Plan::decide(route("/v1/b", false, true), &on);
        assert_eq!(optional.authenticate, Authenticate::Optional);
        assert!(optional.caller && !optional.may_answer_unauthorized());
        let public = Plan::decide(route("/v1/c", false, false), &on);
        assert!(!public.needed(), "{public:?}");
    }

    #[test]
    fn the_route_policy_is_asked_only_where_it_may_deny() {
        let policy =
            RoutePolicy::from_yaml("- forbid: {paths: /v1/old}\n- permit: {paths: '*'}\n").unwrap();
        let facts = Facts {
            routes: Some(&policy),
            ..OFF
        };
        let allowed = Plan::decide(route("/v1/a", false, false), &facts);
        assert!(!allowed.route_policy && !allowed.may_answer_forbidden());
        let denied = Plan::decide(route("/v1/old", false, false), &facts);
        assert!(denied.route_policy && denied.may_answer_forbidden() && denied.needed());
        assert!(Plan::decide(Target::Unmatched, &facts).route_policy);
    }

    #[test]
    fn an_exempt_route_is_never_charged() {
        let exempt = ExemptRoutes::default();
        let facts = Facts {
            quota: Some(&exempt),
            ..OFF
        };
        let health = Plan::decide(route("/v1/health", false, false), &facts);
        assert_eq!(health.quota, Quota::Exempt);
        assert!(!health.charge() && !health.needed());
        let other = Plan::decide(route("/v1/a", false, false), &facts);
        assert!(other.charge() && other.needed() && other.may_answer_quota());
    }
}
