//! What the router is built from besides the config: kept by the server,
//! so that a reload builds the next router from the same parts.

use std::sync::Arc;

use crate::authn::AuthProvider;
use crate::config::ConfigErrors;
use crate::errors::AppError;
#[cfg(feature = "openapi")]
use crate::openapi::{Info, OpenApi};
use crate::pipeline::guard::Guard;
use crate::quota::{QuotaStore, StoreKind};
use crate::route::state::StateMap;
#[cfg(feature = "openapi")]
use crate::route::table::RouteTable;
use crate::router::{BuiltRouter, RouterBuilder};
use crate::security::settings::Settings;
use crate::security::{BuiltProviders, Security};
use crate::telemetry::Telemetry;

/// What the router is built from besides the config, kept for reloads.
pub(super) struct Parts {
    /// `info` of the OpenAPI document, when `server.openapi` serves it.
    #[cfg(feature = "openapi")]
    pub(super) info: Info,
    pub(super) states: StateMap,
    pub(super) guards: Vec<Arc<dyn Guard>>,
    pub(super) provider: Option<Arc<dyn AuthProvider>>,
    /// The quota store last opened and its kind: a reload that keeps the
    /// `kvstore` keeps the store, so no counter restarts.
    pub(super) quota: Arc<std::sync::Mutex<Option<OpenStore>>>,
    /// The providers last built: a reload keeps those whose config is
    /// unchanged, with their keys, documents and validation cache.
    pub(super) providers: BuiltProviders,
    /// The server's metrics and decision log, set up once at startup;
    /// `None`: each build sets up what its settings ask for.
    pub(super) telemetry: Option<Telemetry>,
}

/// A quota store and the `kvstore` it was opened for.
pub(super) type OpenStore = (StoreKind, Arc<dyn QuotaStore>);

impl Parts {
    pub(super) fn build(self, settings: &Settings) -> Result<BuiltRouter, AppError> {
        let mut last = self.quota.lock().unwrap_or_else(|p| p.into_inner());
        let kind = settings.quota.as_ref().map(|q| q.store.clone());
        let reuse = match (&*last, &kind) {
            (Some((was, store)), Some(now)) if was == now => Some(store.clone()),
            _ => None,
        };
        #[cfg(feature = "openapi")]
        let provider_in_code = self.provider.is_some();
        let telemetry = match self.telemetry {
            Some(telemetry) => telemetry,
            None => crate::security::telemetry_of(settings).map_err(ConfigErrors::from)?,
        };
        let security =
            Security::build_reusing(settings, self.provider, reuse, &self.providers, telemetry)?;
        *last = kind.zip(security.quota.as_ref().map(|q| q.store.clone()));
        drop(last);
        #[cfg_attr(not(feature = "openapi"), allow(unused_mut))]
        let mut builder = RouterBuilder::new()
            .states(self.states)
            .security(security)
            .guards(self.guards);
        // Without the feature the settings refused `server.openapi`.
        #[cfg(feature = "openapi")]
        if let Some(path) = &settings.openapi {
            let table = RouteTable::from_registry()?;
            let api = OpenApi::generate(&table, settings, provider_in_code, &self.info);
            builder = builder.openapi(path.clone(), api.to_json());
        }
        Ok(builder.build()?)
    }

    pub(super) fn clone(&self) -> Parts {
        Parts {
            #[cfg(feature = "openapi")]
            info: self.info.clone(),
            states: self.states.clone(),
            guards: self.guards.clone(),
            provider: self.provider.clone(),
            quota: self.quota.clone(),
            providers: self.providers.clone(),
            telemetry: self.telemetry.clone(),
        }
    }
}
