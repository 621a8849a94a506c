//! The command line every app gets: `serve` (the default), `routes` and
//! `policy check | eval | explain | test`.

#[cfg(feature = "openapi")]
mod openapi;
pub(crate) mod policy;
mod routes;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[cfg(feature = "openapi")]
pub(crate) use openapi::OpenApiRun;
pub(crate) use policy::PolicyCommand;
pub(crate) use routes::{render_json, render_table};

/// `APP [serve] [--config FILE] [--host H] [--port N]`, `APP routes [--format table|json]`
/// or `APP policy check|eval|explain|test --config FILE ...`.
#[derive(Debug, Parser)]
#[command(
    args_conflicts_with_subcommands = true,
    about = "An API served by webmethod"
)]
pub struct Cli {
    /// The command given; `None` runs `serve`.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `serve`, which runs when no command is given.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// The commands of [`Cli`].
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Print the route table: method, path, handler, auth, scope, deprecation, source.
    Routes(RoutesArgs),
    /// Check, evaluate, explain and test the config's access and route policies.
    ///
    /// `policy check --config FILE`: validate and lint the policies.
    /// `policy eval --config FILE --cases FILE.jsonl`: decide a file of cases.
    /// `policy explain --config FILE ...`: decide and explain one case.
    /// `policy test --config FILE --cases FILE.jsonl`: check cases against their expectations.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Print the OpenAPI 3.1 document of the routes, as served under the config.
    ///
    /// `--check FILE` exits non-zero, listing the differences, when FILE is
    /// not the document (a CI drift guard); `--strict` exits non-zero when a
    /// handler's types give no schema, listing them with file:line.
    Openapi(OpenApiArgs),
}

/// Options of `openapi`.
#[derive(Debug, Clone, Args)]
pub struct OpenApiArgs {
    /// Server config (security schemes, quota, route policy); else the app's default.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = DocumentFormat::Json)]
    /// Format of the document.
    pub format: DocumentFormat,
    /// Write the document to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Compare with FILE (JSON or YAML) instead of printing; non-zero when they differ.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
    /// Non-zero when any schema is permissive (a type without `JsonSchema`).
    #[arg(long)]
    pub strict: bool,
}

/// Format of the OpenAPI document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocumentFormat {
    /// JSON (the default).
    Json,
    /// YAML.
    Yaml,
}

/// Options of `serve`.
#[derive(Debug, Clone, Default, Args)]
pub struct ServeArgs {
    /// Server config (llama-stack `run.yaml` shape).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1, or `server.host` of the config].
    #[arg(long, value_name = "H")]
    pub host: Option<String>,
    /// Port to listen on [default: 8321, or `server.port` of the config]; 0 picks a free port.
    #[arg(long, value_name = "N")]
    pub port: Option<u16>,
}

/// Options of `routes`.
#[derive(Debug, Clone, Args)]
pub struct RoutesArgs {
    #[arg(long, value_enum, default_value_t = Format::Table)]
    /// Output format.
    pub format: Format,
}

/// Output format of listing commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns, for people (the default).
    Table,
    /// JSON, for scripts.
    Json,
}
