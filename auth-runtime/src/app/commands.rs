//! The command line: `serve` (the default), `routes`, `policy`, `openapi`.

use std::process::ExitCode;

use clap::Parser;

use super::{App, fail};
use crate::cli::{self, Cli, Command, Format, OpenApiArgs, RoutesArgs, ServeArgs};
use crate::route::table::RouteTable;

impl App {
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

    /// `openapi`: prints, writes or checks the document.
    #[cfg(feature = "openapi")]
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

    /// `openapi` in a build without the `openapi` feature: refused, as the
    /// command line of a build with it would be with a bad argument.
    #[cfg(not(feature = "openapi"))]
    fn openapi(&self, _: &OpenApiArgs) -> ExitCode {
        fail(
            &"the `openapi` command needs auth-runtime's `openapi` feature, which this build lacks",
        )
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

#[cfg(not(feature = "openapi"))]
#[cfg(test)]
mod tests {
    use super::*;

    /// A `server` build without the `openapi` feature keeps the command (its
    /// arguments parse as in any build) and refuses to run it: no document,
    /// never an empty one.
    #[tokio::test]
    async fn without_the_openapi_feature_the_openapi_command_fails() {
        let cli = Cli::try_parse_from(["app", "openapi", "--strict"]).unwrap();
        assert_eq!(App::new().run_with(cli).await, ExitCode::FAILURE);
    }
}
