//! An app: the router builder plus the embedded command line and the server.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Parser;
use tokio::net::TcpListener;

use crate::cli::{self, Cli, Command, Format, RoutesArgs, ServeArgs};
use crate::config::{self, Config};
use crate::guard::Guard;
use crate::route_table::RouteTable;
use crate::router::RouterBuilder;

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
    builder: RouterBuilder,
}

impl App {
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers an app state (see [`RouterBuilder::state`]).
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, state: T) -> Self {
        self.builder = self.builder.state(state);
        self
    }

    /// Appends a security step (see [`RouterBuilder::guard`]).
    pub fn guard(mut self, guard: impl Guard) -> Self {
        self.builder = self.builder.guard(guard);
        self
    }

    /// Changes the router builder (entries, states, guards).
    pub fn map_builder(mut self, f: impl FnOnce(RouterBuilder) -> RouterBuilder) -> Self {
        self.builder = f(self.builder);
        self
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
        }
    }

    /// `serve`: builds the router and serves it until Ctrl-C or SIGTERM.
    pub async fn serve(self, args: ServeArgs) -> ExitCode {
        init_tracing();
        let config = match &args.config {
            Some(path) => match Config::load(path) {
                Ok(config) => config,
                Err(e) => return fail(&e),
            },
            None => Config::default(),
        };
        let built = match self.builder.build() {
            Ok(built) => built,
            Err(e) => return fail(&e),
        };
        let host = args
            .host
            .or(config.server.host)
            .unwrap_or_else(|| config::DEFAULT_HOST.to_owned());
        let port = args
            .port
            .or(config.server.port)
            .unwrap_or(config::DEFAULT_PORT);
        let listener = match TcpListener::bind((host.as_str(), port)).await {
            Ok(listener) => listener,
            Err(e) => return fail(&format!("cannot listen on {host}:{port}: {e}")),
        };
        match listener.local_addr() {
            // On stdout, so scripts and tests started with `--port 0` learn the port.
            Ok(addr) => println!("listening on http://{addr}"),
            Err(e) => return fail(&e),
        }
        tracing::info!(routes = built.table.len(), "serving");
        let service = built
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        match axum::serve(listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await
        {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        }
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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
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
