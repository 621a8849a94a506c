//! `serve`: the server's lifetime, from the config to the signal that ends it.

use std::process::ExitCode;
use std::sync::Arc;

use tokio::net::TcpListener;

use super::parts::Parts;
use super::process::{init_tracing, listen_for_hangups, shutdown_signal};
use super::reload::{Reload, RestartOnly, reload_on_sighup};
use super::{App, fail};
use crate::cli::ServeArgs;
use crate::config;
use crate::security::BuiltProviders;
use crate::security::settings::Settings;
use crate::serve::transport::{Routers, Transport};

impl App {
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
            #[cfg(feature = "openapi")]
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

/// Every WARN a start prints about a config; a reload prints them too.
pub(super) fn startup_warnings(settings: &Settings, authenticated: bool) -> Vec<String> {
    let mut out = settings.warnings.clone();
    out.extend(settings.lint.iter().map(|w| format!("policy: {w}")));
    if !authenticated {
        out.push(NO_AUTHENTICATION.to_owned());
    }
    out
}

const NO_AUTHENTICATION: &str =
    "no authentication provider is configured: every route is served without authentication";
