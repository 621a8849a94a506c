//! The config, checked and compiled once (DESIGN.md "Configuration"): the
//! provider's typed config, the compiled access and route policies, the quota
//! settings, the warnings and the policy lint. `serve`, `policy check | eval |
//! explain` and the lint all read this one value, and building it reports every
//! error of the config together.

use std::sync::Arc;

use crate::authz::{self, AccessPolicy, PolicyError, Produced, RoutePolicy};
use crate::config::{self, CacheConfig, Config, ConfigError, ConfigErrors, ConfiguredProvider};
use crate::quota::QuotaSettings;

const ACCESS_POLICY: &str = "server.auth.access_policy";
const ROUTE_POLICY: &str = "server.auth.route_policy";

/// A config ready to serve: nothing left to parse or compile.
#[derive(Debug)]
#[non_exhaustive]
pub struct Settings {
    /// `server.auth.provider_config` or `server.auth.providers`, typed and
    /// checked; none: authentication off.
    pub(crate) providers: Vec<ConfiguredProvider>,
    /// `server.auth.cache`.
    pub(crate) cache: CacheConfig,
    /// `server.auth.access_policy` (llama-stack's default policy when empty).
    pub(crate) access: Arc<AccessPolicy>,
    /// `server.auth.route_policy` (empty: every route allowed).
    pub(crate) routes: RoutePolicy,
    /// `server.quota`, checked.
    pub(crate) quota: Option<QuotaSettings>,
    /// TLS (the files read and checked) and connection limits.
    pub(crate) transport: crate::serve::transport::Transport,
    /// What the provider gives users (for the lint and `policy check`).
    #[cfg_attr(not(feature = "server"), allow(dead_code))] // the app and the CLI read it
    pub(crate) produced: Produced,
    /// `server.auth.decision_log.path`: a file, or `stderr`.
    pub(crate) decision_log: Option<String>,
    /// `server.metrics.address`, checked: `host:port`.
    pub(crate) metrics: Option<String>,
    /// `server.openapi.path`, checked: a fixed absolute path.
    #[cfg_attr(not(all(feature = "server", feature = "openapi")), allow(dead_code))]
    // the app serves it
    pub(crate) openapi: Option<String>,
    /// Keys accepted but not acted on.
    #[cfg_attr(not(feature = "server"), allow(dead_code))] // the app and the CLI read it
    pub(crate) warnings: Vec<String>,
    /// `server.tenancy`, checked.
    pub(crate) tenancy: crate::authn::tenancy::Tenancy,
    /// The policies' lint, against what the provider produces.
    #[cfg_attr(not(feature = "server"), allow(dead_code))] // the app and the CLI read it
    pub(crate) lint: Vec<authz::lint::Warning>,
}

impl Settings {
    /// `server.quota`, checked: the limits, for [`Quota::with_store`](crate::quota::Quota::with_store)
    /// over a store of the app's own.
    pub fn quota(&self) -> Option<&QuotaSettings> {
        self.quota.as_ref()
    }

    /// TLS and the connection limits (the tests serve a router with them).
    #[doc(hidden)]
    pub fn transport(&self) -> &crate::serve::transport::Transport {
        &self.transport
    }

    /// Checks and compiles `config`.
    pub fn from_config(config: &Config) -> Result<Settings, ConfigErrors> {
        Settings::new(config, false)
    }

    /// Checks and compiles `config`; `provider_in_code`: the app authenticates
    /// with a provider of its own ([`App::auth_provider`](crate::App::auth_provider)),
    /// which may produce any attribute, whatever the config says.
    pub fn new(config: &Config, provider_in_code: bool) -> Result<Settings, ConfigErrors> {
        let mut errors = Vec::new();
        let auth = config.server.auth.as_ref();
        let providers = auth.map_or(Ok(Vec::new()), |a| {
            config::providers(a.provider_config.as_ref(), a.providers.as_ref(), &a.cache)
        });
        let providers = providers.unwrap_or_else(|e| {
            errors.extend(e);
            Vec::new()
        });
        let access_rules = auth.map_or(&[][..], |a| a.access_policy.as_slice());
        let route_rules = auth.map_or(&[][..], |a| a.route_policy.as_slice());
        let access = AccessPolicy::compile(access_rules)
            .map_err(|e| errors.extend(located(e, ACCESS_POLICY)))
            .ok();
        let routes = RoutePolicy::compile(route_rules)
            .map_err(|e| errors.extend(located(e, ROUTE_POLICY)))
            .ok();
        let quota = config.server.quota.as_ref().and_then(|q| {
            QuotaSettings::from_config(q)
                .map_err(|e| errors.extend(e))
                .ok()
        });
        let transport = crate::serve::transport::Transport::from_config(&config.server)
            .map_err(|e| errors.extend(e))
            .ok();
        // Fail closed: a build without metrics never ignores `server.metrics`.
        #[cfg(not(feature = "metrics"))]
        if config.server.metrics.is_some() {
            errors.push(ConfigError::field(
                "server.metrics",
                crate::telemetry::metrics::MISSING,
            ));
        }
        let metrics = config
            .server
            .metrics
            .as_ref()
            .and_then(|m| check_address(&m.address).map_err(|e| errors.push(e)).ok());
        let openapi = config
            .server
            .openapi
            .as_ref()
            .and_then(|o| check_fixed_path(&o.path).map_err(|e| errors.push(e)).ok());
        // No document to serve in such a build: refused, never ignored.
        #[cfg(not(feature = "openapi"))]
        if config.server.openapi.is_some() {
            errors.push(ConfigError::field(
                "server.openapi",
                "this build of auth-runtime has no `openapi` feature, so no document is made to serve: remove the key, or enable the feature",
            ));
        }
        let mut warnings = config.warnings();
        let tenancy = crate::authn::tenancy::Tenancy::from_config(
            config.server.tenancy.as_ref(),
            &mut warnings,
        )
        .map_err(|e| errors.push(e))
        .unwrap_or_default();
        // `multi` refuses every protected request a provider without a
        // tenant source authenticates: say so at start, naming it.
        if tenancy == crate::authn::tenancy::Tenancy::Multi && !provider_in_code {
            for provider in providers
                .iter()
                .filter(|p| p.config.tenant_source().is_none())
            {
                warnings.push(format!(
                    "server.tenancy.mode is multi but provider `{}` ({}) has no tenant source: every protected request it authenticates will be refused (401)",
                    provider.name, provider.path
                ));
            }
        }
        let decision_log = auth
            .and_then(|a| a.decision_log.as_ref())
            .map(|d| d.path.clone());
        if decision_log.as_deref().is_some_and(|p| p.trim().is_empty()) {
            errors.push(ConfigError::field(
                "server.auth.decision_log.path",
                "is empty: name a file, or `stderr`; or remove `decision_log`",
            ));
        }
        // Several providers qualify every principal by their name: so must
        // the access policy (an app's own provider replaces them all).
        if let Some(access) = &access
            && providers.len() > 1
            && !provider_in_code
        {
            let names: Vec<&str> = providers.iter().map(|p| p.name.as_str()).collect();
            errors.extend(located(access.check_principals(&names), ACCESS_POLICY));
        }
        ConfigErrors::check(errors)?;
        let (Some(access), Some(routes), Some(transport)) = (access, routes, transport) else {
            // Each `None` above came with its error.
            return Err(ConfigError::field("server", "cannot be used").into());
        };
        let produced = if provider_in_code {
            Produced::Any
        } else {
            Produced::of_providers(providers.iter().map(|p| &p.config))
        };
        let lint = authz::lint_compiled(access_rules, &access, route_rules, &routes, &produced);
        Ok(Settings {
            providers,
            cache: auth.map(|a| a.cache.clone()).unwrap_or_default(),
            access: Arc::new(access),
            routes,
            quota,
            transport,
            decision_log,
            metrics,
            openapi,
            produced,
            warnings,
            lint,
            tenancy,
        })
    }

    /// Parses and compiles a config document (see [`Config::parse`]).
    pub fn parse(
        text: &str,
        file: &str,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigErrors> {
        Settings::from_config(&Config::parse(text, file, lookup)?)
    }

    /// Whether requests are authenticated (a provider is configured).
    pub fn authentication(&self) -> bool {
        !self.providers.is_empty()
    }
}

/// `server.openapi.path`: a path to serve one thing at: absolute, no
/// parameter, no trailing `/`, printable ASCII without spaces, `?` or `#`.
fn check_fixed_path(path: &str) -> Result<String, ConfigError> {
    let ok = path.len() > 1
        && path.starts_with('/')
        && !path.ends_with('/')
        && !path.contains("//")
        && path
            .bytes()
            .all(|b| b.is_ascii_graphic() && !matches!(b, b'{' | b'}' | b'*' | b'?' | b'#' | b'%'));
    if ok {
        Ok(path.to_owned())
    } else {
        Err(ConfigError::field(
            "server.openapi.path",
            format!(
                "must be a fixed path such as /openapi.json (absolute, no parameters, no trailing `/`), not {path:?}"
            ),
        ))
    }
}

/// `server.metrics.address`: `host:port` (port 0: any free port; the
/// server prints the one it got).
fn check_address(address: &str) -> Result<String, ConfigError> {
    let shape = || {
        ConfigError::field(
            "server.metrics.address",
            "must be host:port, as 127.0.0.1:9464",
        )
    };
    let (host, port) = address.rsplit_once(':').ok_or_else(shape)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match port.parse::<u16>() {
        Ok(_) if !host.is_empty() => Ok(address.to_owned()),
        _ => Err(shape()),
    }
}

fn located(errors: impl IntoIterator<Item = PolicyError>, list: &str) -> Vec<ConfigError> {
    errors
        .into_iter()
        .map(|e| ConfigError::field(e.path(list), e.message))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<Settings, ConfigErrors> {
        Settings::parse(yaml, "test.yaml", &|name| {
            (name == "AUTH_URL").then(|| "http://127.0.0.1:9/auth".to_owned())
        })
    }

    /// A build without the `metrics` feature refuses `server.metrics`
    /// instead of serving without them; with it, the same config loads.
    #[test]
    fn server_metrics_needs_the_metrics_feature() {
        let yaml = "server:\n  metrics: {address: '127.0.0.1:0'}\n";
        #[cfg(not(feature = "metrics"))]
        {
            let (path, message) = error_path(yaml);
            assert_eq!(path, "server.metrics", "{message}");
            assert!(message.contains("lacks the `metrics` feature"), "{message}");
        }
        #[cfg(feature = "metrics")]
        assert!(parse(yaml).is_ok_and(|s| s.metrics.is_some()));
    }

    /// The path of the first error, and the whole message.
    fn error_path(yaml: &str) -> (String, String) {
        let err = parse(yaml).expect_err(yaml);
        (
            err.first().path().unwrap_or("<none>").to_owned(),
            err.to_string(),
        )
    }

    #[test]
    fn every_error_is_reported_together() {
        let err = parse(
            "server:\n  auth:\n    provider_config: {type: custom, endpoint: 'not a url'}\n    \
             access_policy: [{permit: {actions: [fly]}}, {permit: {actions: read}}, {forbid: {actions: [swim]}}]\n    \
             route_policy: [{permit: {paths: 'regex:('}}]\n  quota: {kvstore: {type: etcd}, trusted_proxies: [nope]}\n",
        )
        .unwrap_err();
        let paths: Vec<_> = err.iter().map(|e| e.path().unwrap_or("")).collect();
        assert_eq!(
            paths,
            [
                "server.auth.provider_config.endpoint",
                "server.auth.access_policy[0].permit.actions",
                "server.auth.access_policy[2].forbid.actions",
                "server.auth.route_policy[0].permit.paths",
                "server.quota.kvstore.type",
                "server.quota.trusted_proxies",
            ],
            "{err}"
        );
        assert_eq!(
            err.to_string().matches("\nerror: config field").count(),
            5,
            "{err}"
        );
    }

    #[test]
    fn env_is_substituted_only_inside_server() {
        let settings = parse(
            "models:\n  - model_id: ${env.INFERENCE_MODEL}\nserver:\n  auth:\n    provider_config: {type: custom, endpoint: '${env.AUTH_URL}'}\n",
        )
        .unwrap();
        assert!(settings.authentication());
        let (path, message) = error_path("server:\n  host: ${env.HOST_NOT_SET}\n");
        assert_eq!(path, "server.host", "{message}");
        assert!(message.contains("HOST_NOT_SET"), "{message}");
    }

    /// A field whose absence changes security, left empty by `${env.X:=}`,
    /// is refused at the same path as a literal `""`, and names the variable.
    #[test]
    fn empty_after_substitution_is_refused_as_a_literal_empty_value() {
        let oauth = "provider_config: {type: oauth2_token, jwks: {uri: 'https://idp/jwks'}";
        let cases = [
            (
                "  tls_certfile: V\n  tls_keyfile: /k.pem\n",
                "server.tls_certfile",
            ),
            (
                "  tls_certfile: /c.pem\n  tls_keyfile: V\n",
                "server.tls_keyfile",
            ),
            ("  tls_cafile: V\n", "server.tls_cafile"),
            (
                &format!("  auth:\n    {oauth}, issuer: V}}\n"),
                "server.auth.provider_config.issuer",
            ),
            (
                &format!("  auth:\n    {oauth}, typ: V}}\n"),
                "server.auth.provider_config.typ",
            ),
            (
                &format!("  auth:\n    {oauth}, tls_cafile: V}}\n"),
                "server.auth.provider_config.tls_cafile",
            ),
            ("  quota: V\n", "server.quota"),
            ("  auth:\n    decision_log: V\n", "server.auth.decision_log"),
            (
                "  auth:\n    decision_log: {path: V}\n",
                "server.auth.decision_log.path",
            ),
        ];
        // The error about `field`, among every error of the config.
        let about = |yaml: &str, field: &str| {
            let err = parse(yaml).expect_err(yaml);
            err.iter()
                .find(|e| e.path() == Some(field))
                .map(ToString::to_string)
                .unwrap_or_else(|| panic!("no error at {field}: {yaml}\n{err}"))
        };
        for (yaml, field) in cases {
            about(&format!("server:\n{}", yaml.replace('V', "''")), field);
            let substituted = about(
                &format!("server:\n{}", yaml.replace('V', "'${env.UNSET_IN_TEST:=}'")),
                field,
            );
            assert!(substituted.contains("UNSET_IN_TEST"), "{substituted}");
        }
    }

    #[test]
    fn errors_name_the_field() {
        let cases = [
            ("server:\n  port: abc\n", "server.port"),
            ("server:\n  port: 70000\n", "server.port"),
            (
                "server:\n  auth:\n    provider_config: {endpoint: x}\n",
                "server.auth.provider_config.type",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: ldap}\n",
                "server.auth.provider_config.type",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: custom}\n",
                "server.auth.provider_config",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: custom, endpoint: 'not a url'}\n",
                "server.auth.provider_config.endpoint",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: custom, endpoint: 'ftp://x'}\n",
                "server.auth.provider_config.endpoint",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: custom, endpoint: 'http://x', timeout: -1}\n",
                "server.auth.provider_config.timeout",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: custom, endpoint: 'http://x', timout: 3}\n",
                "server.auth.provider_config.timout",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: upstream_header, principal_header: 'bad header'}\n",
                "server.auth.provider_config.principal_header",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: api_keys, keys: [{key: a, principal: p}, {key: b, key_sha256: c, principal: q}]}\n",
                "server.auth.provider_config.keys[1]",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: api_keys, keys: [{key_sha256: abc, principal: p}]}\n",
                "server.auth.provider_config.keys[0].key_sha256",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: api_keys, keys: [{key: 'a b', principal: p}]}\n",
                "server.auth.provider_config.keys[0].key",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: api_keys, keys: [{key: k, principal: p, attributes: {roles: admin}}]}\n",
                "server.auth.provider_config.keys[0].attributes.roles",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: api_keys, keys: [{key: k, principal: ''}]}\n",
                "server.auth.provider_config.keys[0].principal",
            ),
            (
                "server:\n  auth:\n    provider_config: {type: custom, endpoint: '${env.NOT_SET}'}\n",
                "server.auth.provider_config.endpoint",
            ),
            (
                "server:\n  auth:\n    route_policy: [{permit: {paths: '*'}}, {permit: {paths: 'regex:('}}]\n",
                "server.auth.route_policy[1].permit.paths",
            ),
            (
                "server:\n  auth:\n    access_policy: [{permit: {actions: [read, write]}}]\n",
                "server.auth.access_policy[0].permit.actions",
            ),
            (
                "server:\n  auth:\n    access_policy: [{permit: {actions: read}, when: 'user is admin'}]\n",
                "server.auth.access_policy[0].when",
            ),
            (
                "server:\n  auth:\n    access_policy: [{permit: {actions: read}, forbid: {actions: read}}]\n",
                "server.auth.access_policy[0]",
            ),
            (
                "server:\n  auth:\n    access_policy: [{permit: {actions: read, principle: bob}}]\n",
                "server.auth.access_policy[0].permit.principle",
            ),
            (
                "server:\n  auth:\n    providr_config: {}\n",
                "server.auth.providr_config",
            ),
            ("- just a list\n", "(document)"),
        ];
        for (yaml, path) in cases {
            let (got, message) = error_path(yaml);
            assert_eq!(got, path, "{yaml}\n{message}");
            assert!(message.contains(path), "{message}");
        }
    }

    #[test]
    fn with_several_providers_a_policy_principal_names_its_provider() {
        let providers = "server:\n  auth:\n    providers:\n      - {type: api_keys, keys: [{key: k, principal: admin}]}\n      - {type: oauth2_token, name: partners, issuer: 'https://idp', jwks: {uri: 'https://idp/jwks'}}\n";
        let (path, message) = error_path(&format!(
            "{providers}    access_policy:\n      - permit: {{principal: 'api_keys:admin', actions: [read]}}\n      - forbid: {{actions: [delete]}}\n      - permit: {{principal: admin, actions: [read]}}\n"
        ));
        assert_eq!(path, "server.auth.access_policy[2].permit.principal");
        assert!(message.contains("`api_keys`, `partners`"), "{message}");
        // Qualified: loads.
        parse(&format!(
            "{providers}    access_policy:\n      - permit: {{principal: 'partners:admin', actions: [read]}}\n"
        ))
        .unwrap();
        // One provider: a principal as today.
        parse(
            "server:\n  auth:\n    provider_config: {type: api_keys, keys: [{key: k, principal: admin}]}\n    access_policy:\n      - permit: {principal: admin, actions: [read]}\n",
        )
        .unwrap();
        // A list of one provider is one provider.
        parse(
            "server:\n  auth:\n    providers: [{type: api_keys, keys: [{key: k, principal: admin}]}]\n    access_policy:\n      - permit: {principal: admin, actions: [read]}\n",
        )
        .unwrap();
    }

    #[test]
    fn token_provider_errors_name_the_field() {
        let p = "server:\n  auth:\n    provider_config: ";
        let cases = [
            ("{type: oauth2_token}", "server.auth.provider_config"),
            (
                "{type: oauth2_token, jwks: {uri: 'x'}}",
                "server.auth.provider_config.jwks.uri",
            ),
            (
                "{type: oauth2_token, jwks: {uri: 'http://x', key_recheck_period: 0}}",
                "server.auth.provider_config.jwks.key_recheck_period",
            ),
            (
                "{type: oauth2_token, verify_tls: maybe, jwks: {uri: 'http://x'}}",
                "server.auth.provider_config.verify_tls",
            ),
            (
                "{type: oauth2_token, jwks: {uri: 'http://x'}, introspection: {url: 'http://y', client_id: a, client_secret: b}}",
                "server.auth.provider_config",
            ),
            (
                "{type: oauth2_token, introspection: {url: 'http://y', client_id: a}}",
                "server.auth.provider_config.introspection",
            ),
            (
                "{type: kubernetes, claims_mapping: {username: ''}}",
                "server.auth.provider_config.claims_mapping",
            ),
            (
                "{type: kubernetes, api_server_url: 'kubernetes.default.svc'}",
                "server.auth.provider_config.api_server_url",
            ),
            (
                "{type: github_token, github_api_base_url: 'api.github.com'}",
                "server.auth.provider_config.github_api_base_url",
            ),
            (
                "{type: github_token, timeout: 0}",
                "server.auth.provider_config.timeout",
            ),
        ];
        for (provider, path) in cases {
            let yaml = format!("{p}{provider}\n");
            let (got, message) = error_path(&yaml);
            assert_eq!(got, path, "{yaml}\n{message}");
        }
        let (got, _) = error_path("server:\n  auth:\n    cache: {ttl: forever}\n");
        assert_eq!(got, "server.auth.cache.ttl");
    }

    #[test]
    fn token_provider_defaults_are_llama_stacks() {
        let config = parse("server:\n  auth:\n    provider_config: {type: oauth2_token, verify_tls: '${env.NOPE:=false}', jwks: {uri: 'https://idp/jwks'}}\n").unwrap();
        let Some(crate::config::ProviderConfig::OAuth2Token(c)) =
            config.providers.first().map(|p| &p.config)
        else {
            panic!()
        };
        assert_eq!(c.audience.single(), Some("llama-stack"));
        assert!(!c.verify_tls);
        assert_eq!(c.jwks.as_ref().unwrap().key_recheck_period, 3600);
        assert_eq!(c.claims_mapping["sub"], "roles");
        assert_eq!(c.claims_mapping["namespace"], "namespaces");
        let config = parse("server:\n  auth:\n    provider_config: {type: kubernetes}\n").unwrap();
        let Some(crate::config::ProviderConfig::Kubernetes(k)) =
            config.providers.first().map(|p| &p.config)
        else {
            panic!()
        };
        assert_eq!(k.api_server_url, "https://kubernetes.default.svc");
        assert_eq!(k.claims_mapping["groups"], "roles");
    }
}
