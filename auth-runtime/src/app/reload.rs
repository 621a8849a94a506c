//! SIGHUP: the config read again and swapped in whole, or refused.

use super::parts::Parts;
use super::process::Hangups;
use super::serve::startup_warnings;
use crate::cli::ServeArgs;
use crate::config::{self, Config};
use crate::security::settings::Settings;
use crate::serve::transport::{Routers, Transport};
use crate::telemetry::Telemetry;

/// What a reload compares and keeps: the file, what the server was started
/// with that only a restart applies, and whether the running config
/// authenticates.
pub(super) struct Reload {
    /// `--config`; `None`: the embedded config, no file to re-read.
    pub(super) path: Option<std::path::PathBuf>,
    pub(super) parts: Parts,
    pub(super) transport: Transport,
    pub(super) routers: Routers,
    /// The keys only a restart applies, as the server was started.
    pub(super) started: RestartOnly,
    /// `--host` and `--port` given: the config's own are not read at all.
    pub(super) args: ServeArgs,
    /// Whether the running config authenticates requests.
    pub(super) authenticated: bool,
}

/// On SIGHUP, reads `--config` again and swaps the whole security
/// configuration (keys, providers, policies, quota, cache) in one step:
/// requests already in flight finish under the one they started with. A
/// config that does not load or build keeps the running one, and so does one
/// that would switch authentication off (that takes a restart); every error
/// is logged. The transport (address, TLS, limits, CORS, metrics, decision
/// log) stays as started: a change to it is logged as needing a restart.
pub(super) fn reload_on_sighup(hangups: Hangups, reload: Reload) {
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

/// The keys of `server` that only a restart applies.
#[derive(Clone, PartialEq)]
pub(super) struct RestartOnly {
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
    pub(super) fn of(config: &Config) -> RestartOnly {
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
