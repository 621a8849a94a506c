//! An app: the registry's routes, the security stack from the config, the
//! embedded command line and the server.

use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use tokio::net::TcpListener;

use crate::authn::AuthProvider;
use crate::cli::{self, Cli, Command, Format, OpenApiArgs, RoutesArgs, ServeArgs};
use crate::config::{self, Config, ConfigError, ConfigErrors};
use crate::openapi::{Info, OpenApi};
use crate::pipeline::guard::Guard;
use crate::quota::{QuotaStore, StoreKind};
use crate::route::state::StateMap;
use crate::route::table::RouteTable;
use crate::router::{BuiltRouter, RouterBuilder};
use crate::security::settings::Settings;
use crate::security::{BuiltProviders, Security};
use crate::serve::transport::{Routers, Transport};
use crate::telemetry::Telemetry;

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
    pub fn info(&self) -> Info {
        let title = self.title.clone().unwrap_or_else(|| {
            std::env::current_exe()
                .ok()
                .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "API".to_owned())
        });
        Info::new(title, self.version.as_deref().unwrap_or("0.0.0"))
    }

    /// Parses the process's command line and runs it.
    pub async fn run(self) -> ExitCode {
        self.run_with(Cli::parse()).await
    }

    /// Runs a parsed command line.
    pub async fn run_with(self, cli: Cli) -> ExitCode {
        match cli.command {
            None => self.serve(cli.serve).await,
            Some(Command::Serve(args)) => self.serve(args).await,
            Some(Command::Routes(args)) => routes(args),
            Some(Command::Policy(command)) => self.policy(&command),
            Some(Command::Openapi(args)) => self.openapi(&args),
        }
    }

    /// The OpenAPI document of the registry under the config (`--config
    /// FILE`, else the app's default).
    pub fn openapi_document(&self, config: &Config) -> Result<OpenApi, Box<dyn std::error::Error>> {
        let settings = Settings::new(config, self.provider.is_some())?;
        let table = RouteTable::from_registry()?;
        Ok(OpenApi::generate(
            &table,
            &settings,
            self.provider.is_some(),
            &self.info(),
        ))
    }

    /// `openapi`: prints, writes or checks the document.
    fn openapi(&self, args: &OpenApiArgs) -> ExitCode {
        let serve = ServeArgs {
            config: args.config.clone(),
            ..ServeArgs::default()
        };
        let api = match self
            .load_config(&serve)
            .map_err(Into::into)
            .and_then(|config| self.openapi_document(&config))
        {
            Ok(api) => api,
            Err(e) => return fail(&e),
        };
        cli::OpenApiRun { args, api: &api }.run()
    }

    /// `policy check | eval | explain` on `--config FILE` or the app's default config.
    fn policy(&self, command: &cli::PolicyCommand) -> ExitCode {
        let args = ServeArgs {
            config: command.config().cloned(),
            ..ServeArgs::default()
        };
        let source = match (&args.config, &self.default_config) {
            (Some(path), _) => path.display().to_string(),
            (None, Some(_)) => "<default config>".to_owned(),
            (None, None) => "<empty config>".to_owned(),
        };
        cli::policy::run(command, self.settings(&args).map(|(s, _)| s), &source)
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
    pub fn build(self, config: &Config) -> Result<BuiltRouter, Box<dyn std::error::Error>> {
        let settings = Settings::new(config, self.provider.is_some())?;
        self.build_with(&settings)
    }

    fn build_with(self, settings: &Settings) -> Result<BuiltRouter, Box<dyn std::error::Error>> {
        Parts {
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

    /// `serve`: builds the router and serves it until Ctrl-C or SIGTERM.
    pub async fn serve(self, args: ServeArgs) -> ExitCode {
        init_tracing();
        let (mut settings, config) = match self.settings(&args) {
            Ok(loaded) => loaded,
            Err(e) => return fail(&e),
        };
        let hangups = listen_for_hangups();
        let authenticated = self.provider.is_some() || settings.authentication();
        let metrics_on = settings.metrics.is_some();
        settings.transport.fit_open_file_limit(metrics_on);
        for warning in startup_warnings(&settings, true) {
            tracing::warn!("{warning}");
        }
        let banner = match (&args.config, &self.default_config) {
            (None, Some((_, banner))) => banner.clone(),
            _ => None,
        };
        let parts = Parts {
            info: self.info(),
            states: self.states.clone(),
            guards: self.guards.clone(),
            provider: self.provider.clone(),
            quota: Arc::default(),
            providers: BuiltProviders::default(),
            telemetry: None,
        };
        // Once, kept by every reload: the counts and the log go on.
        let telemetry = match crate::security::telemetry_of(&settings) {
            Ok(telemetry) => telemetry,
            Err(e) => return fail(&e),
        };
        let metrics = match (&settings.metrics, telemetry.metrics()) {
            (Some(address), Some(metrics)) => match TcpListener::bind(address.as_str()).await {
                Ok(listener) => Some((listener, metrics.clone())),
                Err(e) => {
                    return fail(&format!(
                        "cannot listen on {address} (server.metrics.address): {e}"
                    ));
                }
            },
            _ => None,
        };
        let parts = Parts {
            telemetry: Some(telemetry),
            ..parts
        };
        // Through `parts`, so that a reload finds the quota store opened here.
        let built = match parts.clone().build(&settings) {
            Ok(built) => built,
            Err(e) => return fail(&e),
        };
        if !authenticated {
            tracing::warn!("{NO_AUTHENTICATION}");
        }
        let host = args
            .host
            .clone()
            .or_else(|| config.server.host.clone())
            .unwrap_or_else(|| config::DEFAULT_HOST.to_owned());
        let port = args
            .port
            .or(config.server.port)
            .unwrap_or(config::DEFAULT_PORT);
        let listener = match TcpListener::bind((host.as_str(), port)).await {
            Ok(listener) => listener,
            Err(e) => return fail(&format!("cannot listen on {host}:{port}: {e}")),
        };
        let addr = match listener.local_addr() {
            Ok(addr) => addr,
            Err(e) => return fail(&e),
        };
        if let Some(banner) = banner {
            eprintln!("{}", banner.replace("{addr}", &addr.to_string()));
        }
        let transport = settings.transport.clone();
        let scheme = if transport.is_tls() { "https" } else { "http" };
        // On stdout, so scripts and tests started with `--port 0` learn the port.
        println!("listening on {scheme}://{addr}");
        if let Some((listener, metrics)) = metrics {
            match serve_metrics(listener, metrics, addr, &transport) {
                Ok(metrics_addr) => println!("metrics on http://{metrics_addr}/metrics"),
                Err(e) => return fail(&e),
            }
        }
        tracing::info!(
            routes = built.table.len(),
            %addr,
            tls = transport.is_tls(),
            client_certificates = transport.requires_client_certificates(),
            "serving"
        );
        let routers = Routers::new(transport.wrap(built.router));
        reload_on_sighup(
            hangups,
            Reload {
                path: args.config.clone(),
                parts,
                transport: transport.clone(),
                routers: routers.clone(),
                started: RestartOnly::of(&config),
                args: ServeArgs {
                    config: None,
                    host: args.host.clone(),
                    port: args.port,
                },
                authenticated,
            },
        );
        transport
            .serve_routers(listener, routers, shutdown_signal())
            .await;
        ExitCode::SUCCESS
    }
}

/// Serves `/metrics` on `listener`, in a task of its own, until the process
/// ends; its address. Refused on the API's own address. Served by the
/// transport in plain HTTP: the API's header-read and idle timeouts and a
/// connection cap of its own (`server.metrics.max_connections`).
fn serve_metrics(
    listener: TcpListener,
    metrics: Arc<crate::telemetry::metrics::Metrics>,
    api: std::net::SocketAddr,
    transport: &Transport,
) -> Result<std::net::SocketAddr, String> {
    let addr = listener
        .local_addr()
        .map_err(|e| format!("server.metrics.address: {e}"))?;
    if addr == api {
        return Err("server.metrics.address: must not be the API's address".to_owned());
    }
    let app = crate::telemetry::metrics::router(metrics);
    let transport = transport.clone();
    tokio::spawn(async move {
        transport
            .serve_metrics(listener, app, std::future::pending())
            .await;
    });
    Ok(addr)
}

/// What the router is built from besides the config, kept for reloads.
struct Parts {
    /// `info` of the OpenAPI document, when `server.openapi` serves it.
    info: Info,
    states: StateMap,
    guards: Vec<Arc<dyn Guard>>,
    provider: Option<Arc<dyn AuthProvider>>,
    /// The quota store last opened and its kind: a reload that keeps the
    /// `kvstore` keeps the store, so no counter restarts.
    quota: Arc<std::sync::Mutex<Option<OpenStore>>>,
    /// The providers last built: a reload keeps those whose config is
    /// unchanged, with their keys, documents and validation cache.
    providers: BuiltProviders,
    /// The server's metrics and decision log, set up once at startup;
    /// `None`: each build sets up what its settings ask for.
    telemetry: Option<Telemetry>,
}

/// A quota store and the `kvstore` it was opened for.
type OpenStore = (StoreKind, Arc<dyn QuotaStore>);

impl Parts {
    fn build(self, settings: &Settings) -> Result<BuiltRouter, Box<dyn std::error::Error>> {
        let mut last = self.quota.lock().unwrap_or_else(|p| p.into_inner());
        let kind = settings.quota.as_ref().map(|q| q.store.clone());
        let reuse = match (&*last, &kind) {
            (Some((was, store)), Some(now)) if was == now => Some(store.clone()),
            _ => None,
        };
        let provider_in_code = self.provider.is_some();
        let telemetry = match self.telemetry {
            Some(telemetry) => telemetry,
            None => crate::security::telemetry_of(settings).map_err(ConfigErrors::from)?,
        };
        let security =
            Security::build_reusing(settings, self.provider, reuse, &self.providers, telemetry)?;
        *last = kind.zip(security.quota.as_ref().map(|q| q.store.clone()));
        drop(last);
        let mut builder = RouterBuilder::new()
            .states(self.states)
            .security(security)
            .guards(self.guards);
        if let Some(path) = &settings.openapi {
            let table = RouteTable::from_registry()?;
            let api = OpenApi::generate(&table, settings, provider_in_code, &self.info);
            builder = builder.openapi(path.clone(), api.to_json());
        }
        Ok(builder.build()?)
    }

    fn clone(&self) -> Parts {
        Parts {
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

/// What a reload compares and keeps: the file, what the server was started
/// with that only a restart applies, and whether the running config
/// authenticates.
struct Reload {
    /// `--config`; `None`: the embedded config, no file to re-read.
    path: Option<std::path::PathBuf>,
    parts: Parts,
    transport: Transport,
    routers: Routers,
    /// The keys only a restart applies, as the server was started.
    started: RestartOnly,
    /// `--host` and `--port` given: the config's own are not read at all.
    args: ServeArgs,
    /// Whether the running config authenticates requests.
    authenticated: bool,
}

/// On SIGHUP, reads `--config` again and swaps the whole security
/// configuration (keys, providers, policies, quota, cache) in one step:
/// requests already in flight finish under the one they started with. A
/// config that does not load or build keeps the running one, and so does one
/// that would switch authentication off (that takes a restart); every error
/// is logged. The transport (address, TLS, limits, CORS, metrics, decision
/// log) stays as started: a change to it is logged as needing a restart.
fn reload_on_sighup(hangups: Hangups, reload: Reload) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Some(mut hangups) = hangups else {
            tracing::warn!("cannot listen for SIGHUP: the config will not be reloaded");
            return;
        };
        let mut reload = reload;
        while hangups.recv().await.is_some() {
            reload.once().await;
        }
    });
    #[cfg(not(unix))]
    let _ = (hangups, reload);
}

/// SIGHUP, listened for from before the server says where it listens: a
/// hangup sent as soon as the address is printed must reach the reload, not
/// the default action (which ends the process).
#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = ();

fn listen_for_hangups() -> Hangups {
    #[cfg(unix)]
    return tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
}

impl Reload {
    /// One SIGHUP: reads, checks and builds the new config off the
    /// runtime's worker threads (a heavy policy must not stall requests),
    /// then swaps it in or refuses it.
    async fn once(&mut self) {
        let Some(path) = self.path.clone() else {
            tracing::warn!(
                "SIGHUP: this server runs its embedded config, there is no file to re-read; start it with --config FILE to reload"
            );
            return;
        };
        let file = path.display().to_string();
        let parts = self.parts.clone();
        let running = self.authenticated;
        let loaded = tokio::task::spawn_blocking(move || prepare(&path, parts, running))
            .await
            .unwrap_or_else(|e| Err(format!("the reload failed: {e}")));
        let result = match loaded {
            Ok(next) => {
                for warning in &next.warnings {
                    tracing::warn!(config = file.as_str(), "{warning}");
                }
                for key in self.started.changed(&next.restart_only, &self.args) {
                    tracing::warn!(
                        config = file.as_str(),
                        key,
                        "config key changed, but it needs a restart: the running value stays until then"
                    );
                }
                self.routers.swap(self.transport.wrap(next.router));
                self.authenticated = next.authenticated;
                tracing::info!(config = file.as_str(), "config reloaded");
                "ok"
            }
            Err(e) => {
                for line in e.lines() {
                    tracing::error!(
                        config = file.as_str(),
                        error = line,
                        "config reload refused; the running config stays"
                    );
                }
                "error"
            }
        };
        if let Some(metrics) = self.parts.telemetry.as_ref().and_then(Telemetry::metrics) {
            metrics.reload(result);
        }
    }
}

/// A reloaded config, built and ready to swap in.
struct Prepared {
    router: axum::Router,
    restart_only: RestartOnly,
    authenticated: bool,
    /// What the startup would print at WARN for this config.
    warnings: Vec<String>,
}

/// Loads, checks and builds `path`; `running`: whether the running config
/// authenticates. A reload never lowers security by itself.
fn prepare(path: &std::path::Path, parts: Parts, running: bool) -> Result<Prepared, String> {
    let config = Config::load(path).map_err(|e| e.to_string())?;
    let settings = Settings::new(&config, parts.provider.is_some()).map_err(|e| e.to_string())?;
    let authenticated = parts.provider.is_some() || settings.authentication();
    if running && !authenticated {
        return Err(
            "the new config configures no authentication provider while the running one authenticates every protected request: a reload never switches authentication off (restart the server to do that)"
                .to_owned(),
        );
    }
    let warnings = startup_warnings(&settings, authenticated);
    let built = parts.build(&settings).map_err(|e| e.to_string())?;
    Ok(Prepared {
        router: built.router,
        restart_only: RestartOnly::of(&config),
        authenticated,
        warnings,
    })
}

/// Every WARN a start prints about a config; a reload prints them too.
fn startup_warnings(settings: &Settings, authenticated: bool) -> Vec<String> {
    let mut out = settings.warnings.clone();
    out.extend(settings.lint.iter().map(|w| format!("policy: {w}")));
    if !authenticated {
        out.push(NO_AUTHENTICATION.to_owned());
    }
    out
}

const NO_AUTHENTICATION: &str =
    "no authentication provider is configured: every route is served without authentication";

/// The keys of `server` that only a restart applies.
#[derive(Clone, PartialEq)]
struct RestartOnly {
    host: Option<String>,
    port: Option<u16>,
    tls_certfile: Option<String>,
    tls_keyfile: Option<String>,
    tls_cafile: Option<String>,
    limits: Option<config::LimitsConfig>,
    metrics: Option<config::MetricsConfig>,
    cors: Option<serde_json::Value>,
    decision_log: Option<config::DecisionLogConfig>,
}

impl RestartOnly {
    fn of(config: &Config) -> RestartOnly {
        let s = &config.server;
        RestartOnly {
            host: s.host.clone(),
            port: s.port,
            tls_certfile: s.tls_certfile.clone(),
            tls_keyfile: s.tls_keyfile.clone(),
            tls_cafile: s.tls_cafile.clone(),
            limits: s.limits.clone(),
            metrics: s.metrics.clone(),
            cors: s.cors.clone(),
            decision_log: s.auth.as_ref().and_then(|a| a.decision_log.clone()),
        }
    }

    /// The keys whose value in `new` differs from the running one; `host`
    /// and `port` only when the command line did not set them.
    fn changed(&self, new: &RestartOnly, args: &ServeArgs) -> Vec<&'static str> {
        let keys = [
            ("server.host", args.host.is_none() && self.host != new.host),
            ("server.port", args.port.is_none() && self.port != new.port),
            ("server.tls_certfile", self.tls_certfile != new.tls_certfile),
            ("server.tls_keyfile", self.tls_keyfile != new.tls_keyfile),
            ("server.tls_cafile", self.tls_cafile != new.tls_cafile),
            ("server.limits", self.limits != new.limits),
            ("server.metrics", self.metrics != new.metrics),
            ("server.cors", self.cors != new.cors),
            (
                "server.auth.decision_log",
                self.decision_log != new.decision_log,
            ),
        ];
        keys.into_iter()
            .filter_map(|(key, changed)| changed.then_some(key))
            .collect()
    }
}

/// `routes`: prints the table, or every conflict and exits non-zero.
fn routes(args: RoutesArgs) -> ExitCode {
    match RouteTable::from_registry() {
        Ok(table) => {
            let out = match args.format {
                Format::Table => cli::render_table(table.entries()),
                Format::Json => cli::render_json(table.entries()) + "\n",
            };
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("error: {e}");
    ExitCode::FAILURE
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`). A subscriber the
/// app already installed is kept.
fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a terminal: a log file gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
