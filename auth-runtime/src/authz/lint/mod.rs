//! The policy lint of `policy check` (and of the server's start): rules that
//! load but cannot do what they seem to say. Each warning names the policy,
//! the rule and the problem; none of them changes a decision (the decisions
//! stay llama-stack's, LLAMA-STACK-SEMANTICS.md).
//!
//! - shadowed rules: an earlier rule decides every case this one covers;
//! - a forbid after a catch-all permit;
//! - conditions on attributes the configured provider never produces;
//! - llama-stack's footguns: an empty `when` / `unless`, a route rule with
//!   conditions (never matches an anonymous caller), `unless: [a, b]` (AND for
//!   resources, OR for routes), literal resource patterns (`model::m*`, `*`),
//!   owner conditions where there is no owner (`create`, route rules), a route
//!   path that can never match.

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use super::resource_policy::AccessPolicy;
use super::route_policy::RoutePolicy;
#[cfg(test)]
use crate::config::Config;
use crate::config::ProviderConfig;

mod access;
mod conditions;
mod route;
#[cfg(test)]
mod tests;

use access::lint_access;
use route::lint_route;

/// The name of the resource policy in warnings.
pub(crate) const ACCESS_POLICY: &str = "access_policy";
/// The name of the route policy in warnings.
pub(crate) const ROUTE_POLICY: &str = "route_policy";

/// What a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub(crate) enum LintKind {
    /// An earlier rule always decides first: this one never applies.
    Shadowed,
    /// A forbid after a permit of everything: it never applies.
    ForbidAfterCatchAll,
    /// A condition reads an attribute the provider never produces.
    UnknownAttribute,
    /// `when: []` / `when: ""` (or `unless`): no condition at all.
    EmptyCondition,
    /// A route rule with conditions never matches an anonymous caller.
    Anonymous,
    /// `unless` with several conditions: AND for resources, OR for routes.
    UnlessList,
    /// A pattern that is literal where a wildcard seems meant, or matches nothing.
    Pattern,
    /// An owner condition where there is no owner (`create`, route rules).
    NoOwner,
    /// No provider: there never is a user, so the access policy never applies.
    AuthenticationOff,
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Warning {
    /// [`ACCESS_POLICY`] or [`ROUTE_POLICY`].
    pub policy: &'static str,
    /// Index of the rule in the configured list.
    pub rule: usize,
    /// What the warning is about.
    pub kind: LintKind,
    /// The problem, in a sentence.
    pub message: String,
}

impl Warning {
    fn new(policy: &'static str, rule: usize, kind: LintKind, message: String) -> Self {
        Warning {
            policy,
            rule,
            kind,
            message,
        }
    }

    /// `server.auth.access_policy[2]`.
    pub(crate) fn path(&self) -> String {
        format!("server.auth.{}[{}]", self.policy, self.rule)
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path(), self.message)
    }
}

/// The attributes the authentication provider can give a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Produced {
    /// No provider: authentication is off and there never is a user.
    NoProvider,
    /// Any attribute (`custom`, `upstream_header`, a provider set in code).
    Any,
    /// Exactly these attribute names; `source` says where they come from.
    Known {
        /// Where the names come from, for messages (`the `api_keys` keys carry`).
        source: String,
        /// The attribute names a user may have.
        attributes: BTreeSet<String>,
    },
}

impl Produced {
    #[cfg(test)]
    /// What the config's providers produce.
    pub(crate) fn of(config: &Config) -> Produced {
        let Some(auth) = &config.server.auth else {
            return Produced::NoProvider;
        };
        match crate::config::providers(
            auth.provider_config.as_ref(),
            auth.providers.as_ref(),
            &auth.cache,
        ) {
            Ok(providers) => Produced::of_providers(providers.iter().map(|p| &p.config)),
            // A config that does not load is reported as an error elsewhere.
            Err(_) => Produced::Any,
        }
    }

    /// What several providers produce together: any attribute one of them
    /// produces.
    pub(crate) fn of_providers<'p>(
        providers: impl IntoIterator<Item = &'p ProviderConfig>,
    ) -> Produced {
        providers
            .into_iter()
            .map(Produced::of_provider)
            .reduce(|a, b| match (a, b) {
                (Produced::Any, _) | (_, Produced::Any) => Produced::Any,
                (
                    Produced::Known {
                        source: s1,
                        attributes: mut a1,
                    },
                    Produced::Known {
                        source: s2,
                        attributes: a2,
                    },
                ) => {
                    a1.extend(a2);
                    Produced::Known {
                        source: format!("{s1}, or {s2}"),
                        attributes: a1,
                    }
                }
                (known, _) => known,
            })
            .unwrap_or(Produced::NoProvider)
    }

    /// What one provider produces.
    pub(crate) fn of_provider(provider: &ProviderConfig) -> Produced {
        let mapping =
            |kind: &str, m: &std::collections::BTreeMap<String, String>| Produced::Known {
                source: format!("the `{kind}` claims_mapping produces"),
                attributes: m.values().cloned().collect(),
            };
        match provider {
            ProviderConfig::Custom(_) | ProviderConfig::UpstreamHeader(_) => Produced::Any,
            ProviderConfig::ApiKeys(c) => Produced::Known {
                source: "the `api_keys` keys carry".to_owned(),
                attributes: c
                    .keys
                    .iter()
                    .flat_map(|k| k.attributes.keys().cloned())
                    .collect(),
            },
            ProviderConfig::OAuth2Token(c) => mapping("oauth2_token", &c.claims_mapping),
            ProviderConfig::GithubToken(c) => mapping("github_token", &c.claims_mapping),
            ProviderConfig::Kubernetes(c) => mapping("kubernetes", &c.claims_mapping),
        }
    }
}

#[cfg(test)]
/// Lints the config's policies against its own provider.
pub(crate) fn lint(config: &Config) -> Vec<Warning> {
    lint_with(config, &Produced::of(config))
}

#[cfg(test)]
/// Lints the config's policies against what `produced` says the provider gives.
pub(crate) fn lint_with(config: &Config, produced: &Produced) -> Vec<Warning> {
    match &config.server.auth {
        Some(auth) => lint_policies(&auth.access_policy, &auth.route_policy, produced),
        None => Vec::new(),
    }
}

#[cfg(test)]
/// Lints policies as configured (llama-stack's YAML shape, as values). A
/// policy that does not compile is skipped: loading reports it.
pub(crate) fn lint_policies(
    access: &[Value],
    route: &[Value],
    produced: &Produced,
) -> Vec<Warning> {
    match (
        AccessPolicy::from_values(access),
        RoutePolicy::from_values(route),
    ) {
        (Ok(a), Ok(r)) => lint_compiled(access, &a, route, &r, produced),
        _ => Vec::new(),
    }
}

/// Lints compiled policies; `access` and `route` are the rules as configured
/// (the lint reads what compiling drops, such as an empty `when: []`).
pub(crate) fn lint_compiled(
    access: &[Value],
    access_policy: &AccessPolicy,
    route: &[Value],
    route_policy: &RoutePolicy,
    produced: &Produced,
) -> Vec<Warning> {
    let mut out = Vec::new();
    if !access.is_empty() {
        lint_access(access, access_policy, produced, &mut out);
    }
    lint_route(route, route_policy, produced, &mut out);
    out
}
