//! The security a config describes, built once at startup: the provider
//! (behind the validation cache when it is remote), the quota, the route
//! policy and the access policy. [`RouterBuilder::security`] puts it in front
//! of every route; the pipeline only reads it.
//!
//! [`RouterBuilder::security`]: crate::RouterBuilder::security

pub(crate) mod settings;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::authn::cache::CachedProvider;
use crate::authn::provider_set::{Member, Named, ProviderSet};
use crate::authn::providers::{self, ApiKeyProvider};
use crate::authn::{AuthProvider, Authenticator};
use crate::authz::{AccessPolicy, RoutePolicy};
use crate::config::{
    CacheConfig, Config, ConfigError, ConfigErrors, ConfiguredProvider, ProviderConfig,
};
use crate::quota::{Quota, QuotaStore};
use crate::telemetry::Telemetry;
use crate::telemetry::metrics::Metrics;
use settings::Settings;

/// Authentication, quota and policies, ready to serve.
pub struct Security {
    pub(crate) authn: Option<Authenticator>,
    pub(crate) quota: Option<Quota>,
    pub(crate) routes: Option<RoutePolicy>,
    pub(crate) access: Arc<AccessPolicy>,
    /// This security's own metrics and decision log (each may be off).
    pub(crate) telemetry: Telemetry,
    cache: CacheConfig,
    /// `server.tenancy`, for a provider put in later (`with_provider`).
    tenancy: crate::authn::tenancy::Tenancy,
}

impl Security {
    /// No authentication, no quota, no policies: every route is served to
    /// anyone (llama-stack without `server.auth`). Say so explicitly with
    /// [`RouterBuilder::without_security`](crate::RouterBuilder::without_security).
    pub fn off() -> Security {
        Security {
            authn: None,
            quota: None,
            routes: None,
            access: crate::authz::shared_default_policy(),
            telemetry: Telemetry::off(),
            cache: CacheConfig::default(),
            tenancy: crate::authn::tenancy::Tenancy::Disabled,
        }
    }

    /// What `config` describes (checked and compiled, then built). With no
    /// `server.auth.provider_config`, authentication is off (scope checks
    /// pass, `Access` allows everything).
    pub fn from_config(config: &Config) -> Result<Security, ConfigErrors> {
        Security::new(&Settings::from_config(config)?)
    }

    /// Builds the provider (behind the validation cache when it is remote),
    /// opens the quota store, and sets up the metrics (`server.metrics`:
    /// the registry, not its listener) and the decision log
    /// (`server.auth.decision_log`: the file opened) of this security
    /// alone.
    pub fn new(settings: &Settings) -> Result<Security, ConfigErrors> {
        Security::build(settings, None)
    }

    /// As [`new`](Self::new); an app's own provider, when given, replaces the
    /// configured one, which is then not built at all.
    pub(crate) fn build(
        settings: &Settings,
        own: Option<Arc<dyn AuthProvider>>,
    ) -> Result<Security, ConfigErrors> {
        let telemetry = telemetry_of(settings)?;
        Security::build_reusing(settings, own, None, &BuiltProviders::default(), telemetry)
    }

    /// As [`build`](Self::build), over `store` instead of opening the
    /// quota's own (a reload whose `kvstore` did not change), and keeping
    /// the providers of `built` whose config did not change, counting and
    /// logging in `telemetry` (a reload keeps the running one).
    pub(crate) fn build_reusing(
        settings: &Settings,
        own: Option<Arc<dyn AuthProvider>>,
        store: Option<Arc<dyn QuotaStore>>,
        built: &BuiltProviders,
        telemetry: Telemetry,
    ) -> Result<Security, ConfigErrors> {
        let metrics = telemetry.metrics();
        let mut errors = Vec::new();
        let configured = if own.is_some() {
            &[][..]
        } else {
            &settings.providers[..]
        };
        // Several providers: every principal is qualified by its provider's
        // name, so two providers' users never share an identity.
        let qualify = configured.len() > 1;
        let mut members = Vec::with_capacity(configured.len());
        let mut kept = built.0.lock().unwrap_or_else(|p| p.into_inner());
        let mut now = Vec::with_capacity(configured.len());
        for provider in configured {
            let name: Arc<str> = provider.name.as_str().into();
            let key = ProviderKey::of(provider, configured.len(), settings.tenancy.stamp());
            let before = kept.iter().find(|(k, _)| *k == key).map(|(_, p)| p.clone());
            match before.map_or_else(
                || build_one(provider, &name, qualify, settings.tenancy.stamp(), metrics),
                Ok,
            ) {
                Ok(one) => {
                    now.push((key, one.clone()));
                    members.push(Member {
                        name,
                        provider: one,
                        takes: provider.config.takes(),
                    });
                }
                Err(e) => errors.push(e),
            }
        }

        let authn = match members.len() {
            0 => None,
            // One provider takes every token, as llama-stack's.
            1 => members
                .pop()
                .map(|m| Authenticator::named(m.provider, m.name)),
            _ => Some(Authenticator::several(Arc::new(ProviderSet::new(members)))),
        }
        .map(|authn| {
            authn
                .with_telemetry(telemetry.clone())
                .with_tenancy(settings.tenancy.clone())
        });
        let quota = settings.quota.as_ref().and_then(|q| match store {
            Some(store) => Some(Quota::with_store(q, store)),
            None => Quota::open_counted(q, metrics)
                .map_err(|e| errors.push(e))
                .ok(),
        });
        let quota = quota.map(|mut q| {
            q.metrics = metrics.cloned();
            q
        });
        ConfigErrors::check(errors)?;
        // Only a config that built replaces what the next reload compares with.
        *kept = now;
        drop(kept);
        let security = Security {
            authn,
            quota,
            routes: (!settings.routes.is_empty()).then(|| settings.routes.clone()),
            access: settings.access.clone(),
            telemetry,
            cache: settings.cache.clone(),
            tenancy: settings.tenancy.clone(),
        };
        Ok(match own {
            Some(provider) => security.with_provider(provider),
            None => security,
        })
    }

    /// Authenticates with `provider` instead of the configured one (behind the
    /// validation cache only when `server.auth.cache.enabled` asks for it).
    pub fn with_provider(mut self, provider: Arc<dyn AuthProvider>) -> Security {
        let provider = cached(provider, &self.cache, false, self.telemetry.metrics());
        self.authn = Some(
            Authenticator::new(provider)
                .with_telemetry(self.telemetry.clone())
                .with_tenancy(self.tenancy.clone()),
        );
        self
    }

    /// Puts `wrap(provider)` in place of the authentication step's provider
    /// (`None` when authentication is off): the testing kit's test users.
    #[cfg(feature = "testing")]
    pub(crate) fn wrap_provider(
        mut self,
        wrap: impl FnOnce(Option<Arc<dyn AuthProvider>>) -> Arc<dyn AuthProvider>,
    ) -> Security {
        let inner = self.authn.take().map(Authenticator::into_provider);
        self.authn = Some(
            Authenticator::new(wrap(inner))
                .with_telemetry(self.telemetry.clone())
                .with_tenancy(self.tenancy.clone()),
        );
        self
    }

    /// Counts requests with `quota` instead of the configured one (a
    /// [`QuotaStore`] of your own: `Quota::with_store(&settings, store)`,
    /// with the limits of `server.quota`). A store that fails answers 503.
    pub fn with_quota(mut self, mut quota: Quota) -> Security {
        quota.metrics = self.telemetry.metrics().cloned();
        self.quota = Some(quota);
        self
    }

    /// Whether requests are authenticated (a provider is configured).
    pub fn authentication(&self) -> bool {
        self.authn.is_some()
    }

    /// The `/metrics` endpoint of this security's own metrics (Prometheus
    /// text, or OpenMetrics when the scraper asks for it), when the config
    /// sets `server.metrics`: an embedder serves it where it likes (`App`
    /// serves it on `server.metrics.address`). Routers built with this
    /// security count there, and nowhere else.
    #[cfg(feature = "metrics")]
    pub fn metrics_router(&self) -> Option<axum::Router> {
        self.telemetry
            .metrics()
            .map(|metrics| crate::telemetry::metrics::router(metrics.clone()))
    }
}

/// The metrics and the decision log `settings` ask for (the decision log
/// file opened).
pub(crate) fn telemetry_of(settings: &Settings) -> Result<Telemetry, ConfigError> {
    Telemetry::open(settings.metrics.is_some(), settings.decision_log.as_deref())
}

/// The providers last built, each with what it was built from. A reload
/// keeps a provider whose config (and CA file) did not change, with its
/// fetched keys, discovery document and validation cache: a reload during
/// an identity provider's outage must not turn tokens that verified a
/// second earlier into 503s.
#[derive(Clone, Default)]
pub(crate) struct BuiltProviders(Arc<Mutex<Vec<Built>>>);

/// A provider and what it was built from.
type Built = (ProviderKey, Arc<dyn AuthProvider>);

/// Everything a built provider depends on.
#[derive(PartialEq)]
pub(crate) struct ProviderKey {
    name: String,
    source: serde_json::Value,
    cache: CacheConfig,
    /// Alone or among several: names and token routing depend on it.
    several: bool,
    /// The CA file's bytes: a rotated CA is read again.
    ca: Option<Vec<u8>>,
    /// The tenant `server.tenancy.mode: single` puts its users in.
    stamp: Option<Arc<str>>,
}

impl ProviderKey {
    fn of(provider: &ConfiguredProvider, count: usize, stamp: Option<&Arc<str>>) -> ProviderKey {
        let ca = match &provider.config {
            ProviderConfig::OAuth2Token(c) => c.tls_cafile.as_ref(),
            ProviderConfig::GithubToken(c) => c.tls_cafile.as_ref(),
            ProviderConfig::Kubernetes(c) => c.tls_cafile.as_ref(),
            _ => None,
        };
        ProviderKey {
            name: provider.name.clone(),
            source: provider.source.clone(),
            cache: provider.cache.clone(),
            several: count > 1,
            // Unreadable now: an empty key, never equal to one that was read.
            ca: ca.map(|file| std::fs::read(file).unwrap_or_default()),
            stamp: stamp.cloned(),
        }
    }
}

/// One configured provider: named (its users qualified by `name` when
/// `qualify`), behind its validation cache when it is remote. The cache
/// keeps named users, so a user is named once per validation; each provider
/// has a cache of its own, under a tag key of its own: a cache entry is
/// keyed by provider and token.
fn build_one(
    provider: &ConfiguredProvider,
    name: &Arc<str>,
    qualify: bool,
    stamp: Option<&Arc<str>>,
    metrics: Option<&Arc<Metrics>>,
) -> Result<Arc<dyn AuthProvider>, ConfigError> {
    let name = name.clone();
    let (config, path, cache) = (&provider.config, provider.path.as_str(), &provider.cache);
    Ok(match config {
        // Local providers gain nothing from a cache; their users are named once.
        ProviderConfig::ApiKeys(c) => {
            Arc::new(ApiKeyProvider::new(c).map_err(|e| e.at(path))?.named(
                &name,
                qualify,
                stamp.map(|t| &**t),
            ))
        }
        ProviderConfig::UpstreamHeader(_) => Arc::new(
            Named::new(providers::from_config(config, path)?, name, qualify)
                .stamped(stamp)
                .counted(metrics),
        ),
        // A custom endpoint may decide per request path: off unless asked.
        ProviderConfig::Custom(_) => cached(
            Arc::new(
                Named::new(providers::from_config(config, path)?, name, qualify)
                    .stamped(stamp)
                    .counted(metrics),
            ),
            cache,
            false,
            metrics,
        ),
        _ => cached(
            Arc::new(
                Named::new(
                    providers::counted_from_config(config, path, metrics)?,
                    name,
                    qualify,
                )
                .stamped(stamp)
                .counted(metrics),
            ),
            cache,
            true,
            metrics,
        ),
    })
}

/// The provider behind the validation cache, when the config (or the
/// provider's kind, by default) asks for one.
fn cached(
    provider: Arc<dyn AuthProvider>,
    cache: &CacheConfig,
    on_by_default: bool,
    metrics: Option<&Arc<Metrics>>,
) -> Arc<dyn AuthProvider> {
    if cache.enabled.unwrap_or(on_by_default) && cache.ttl > 0 && cache.max_entries > 0 {
        Arc::new(
            CachedProvider::new(
                provider,
                Duration::from_secs(cache.ttl),
                Duration::from_secs(cache.failure_ttl),
                cache.max_entries,
            )
            .counted(metrics),
        )
    } else {
        provider
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authn::{AuthError, RequestHead};
    use crate::principal::User;

    struct Own;

    #[async_trait::async_trait]
    impl AuthProvider for Own {
        async fn authenticate(
            &self,
            _: Option<&str>,
            _: RequestHead<'_>,
        ) -> Result<Arc<User>, AuthError> {
            Ok(Arc::new(User::new("own", Default::default())))
        }
    }

    /// `App::auth_provider` replaces the configured provider, which is then
    /// not built: one that could not be (an unreadable CA file) stops nothing.
    #[test]
    fn an_apps_own_provider_replaces_the_configured_one_unbuilt() {
        let settings = Settings::parse(
            "server:\n  auth:\n    provider_config: {type: kubernetes, tls_cafile: /does/not/exist.pem}\n",
            "test",
            &|_| None,
        )
        .unwrap();
        let err = Security::new(&settings).err().expect("cannot be built");
        assert!(
            err.to_string().contains("server.auth.provider_config"),
            "{err}"
        );
        let security = Security::build(&settings, Some(Arc::new(Own))).unwrap();
        assert!(security.authentication());
    }
}
