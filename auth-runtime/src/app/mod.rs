//! An app: the registry's routes, the security stack from the config, the
//! embedded command line and the server.
//!
//! `mod.rs` builds the app (states, guards, provider, config); `commands`
//! runs the command line; `serve` is the server's lifetime; `parts` what
//! the router is built from, again on each reload; `reload` the SIGHUP
//! reload; `process` the process's logs and signals.

mod commands;
mod parts;
mod process;
mod reload;
mod serve;

use std::process::ExitCode;
use std::sync::Arc;

use crate::authn::AuthProvider;
use crate::cli::ServeArgs;
use crate::config::{Config, ConfigError, ConfigErrors};
use crate::errors::AppError;
#[cfg(feature = "openapi")]
use crate::openapi::{Info, OpenApi};
use crate::pipeline::guard::Guard;
use crate::route::state::StateMap;
#[cfg(feature = "openapi")]
use crate::route::table::RouteTable;
use crate::router::BuiltRouter;
use crate::security::BuiltProviders;
use crate::security::settings::Settings;

use parts::Parts;

/// An app built from the `#[webmethod]` registry, with its command line.
///
/// ```no_run
/// use auth_runtime::App;
///
/// #[tokio::main]
/// async fn main() -> std::process::ExitCode {
///     App::new().run().await
/// }
/// ```
#[derive(Default)]
pub struct App {
    states: StateMap,
    guards: Vec<Arc<dyn Guard>>,
    provider: Option<Arc<dyn AuthProvider>>,
    default_config: Option<(&'static str, Option<String>)>,
    title: Option<String>,
    version: Option<String>,
}

impl App {
    /// An app with no state, guard or provider of its own, and no default config.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an app state; handlers taking `State<T>` get a clone of it.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, state: T) -> Self {
        self.states.insert(state);
        self
    }

    /// The registered states, to add derived substates.
    pub fn state_map(&mut self) -> &mut StateMap {
        &mut self.states
    }

    /// Appends a step of your own; it runs after the built-in security steps.
    pub fn guard(mut self, guard: impl Guard) -> Self {
        self.guards.push(Arc::new(guard));
        self
    }

    /// Authenticates with this provider instead of the config's
    /// `server.auth.provider_config`.
    pub fn auth_provider(mut self, provider: impl AuthProvider) -> Self {
        self.provider = Some(Arc::new(provider));
        self
    }

    /// The config used when `--config` is not given (YAML, `run.yaml` shape),
    /// and a text printed to stderr when the server starts with it.
    pub fn default_config(mut self, yaml: &'static str, banner: Option<String>) -> Self {
        self.default_config = Some((yaml, banner));
        self
    }

    /// The API's title in its OpenAPI document (default: the executable's
    /// name). `env!("CARGO_PKG_NAME")` gives the Cargo package's.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// The API's version in its OpenAPI document (default `0.0.0`).
    /// `env!("CARGO_PKG_VERSION")` gives the Cargo package's.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// `info` of the OpenAPI document.
    #[cfg(feature = "openapi")]
    pub fn info(&self) -> Info {
        let title = self.title.clone().unwrap_or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "API".to_owned())
        });
        Info::new(title, self.version.as_deref().unwrap_or("0.0.0"))
    }

    /// The OpenAPI document of the registry under the config (`--config
    /// FILE`, else the app's default).
    #[cfg(feature = "openapi")]
    pub fn openapi_document(&self, config: &Config) -> Result<OpenApi, AppError> {
        let settings = Settings::new(config, self.provider.is_some())?;
        let table = RouteTable::from_registry()?;
        Ok(OpenApi::generate(
            &table,
            &settings,
            self.provider.is_some(),
            &self.info(),
        ))
    }

    /// The config (`--config FILE`, else the app's default, else empty),
    /// checked and compiled once, with every error of it.
    fn settings(&self, args: &ServeArgs) -> Result<(Settings, Config), ConfigErrors> {
        let config = self.load_config(args)?;
        let settings = Settings::new(&config, self.provider.is_some())?;
        Ok((settings, config))
    }

    /// Loads the config: `--config FILE`, else the app's default, else empty.
    pub fn load_config(&self, args: &ServeArgs) -> Result<Config, ConfigError> {
        match (&args.config, &self.default_config) {
            (Some(path), _) => Config::load(path),
            (None, Some((yaml, _))) => {
                Config::parse(yaml, "<default config>", &|name| std::env::var(name).ok())
            }
            (None, None) => Ok(Config::default()),
        }
    }

    /// Builds the router behind the security the config describes.
    pub fn build(self, config: &Config) -> Result<BuiltRouter, AppError> {
        let settings = Settings::new(config, self.provider.is_some())?;
        self.build_with(&settings)
    }

    fn build_with(self, settings: &Settings) -> Result<BuiltRouter, AppError> {
        Parts {
            #[cfg(feature = "openapi")]
            info: self.info(),
            states: self.states,
            guards: self.guards,
            provider: self.provider,
            quota: Arc::default(),
            providers: BuiltProviders::default(),
            telemetry: None,
        }
        .build(settings)
    }
}

pub(super) fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::FAILURE
}
