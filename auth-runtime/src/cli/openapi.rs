//! `openapi`: print, write or check the app's OpenAPI document.

use std::process::ExitCode;

use serde_json::Value;

use super::{DocumentFormat, OpenApiArgs};
use crate::openapi::{self, OpenApi};

/// Most differences `--check` lists before it says how many more there are.
const SHOWN_DIFFERENCES: usize = 40;

/// One `openapi` command: its arguments and the document it made.
pub(crate) struct OpenApiRun<'a> {
    /// The command's options.
    pub args: &'a OpenApiArgs,
    /// The document to print, write or check.
    pub api: &'a OpenApi,
}

impl OpenApiRun<'_> {
    /// Prints or writes the document, checks it, and reports permissive
    /// schemas; the exit code says whether everything asked for held.
    pub(crate) fn run(&self) -> ExitCode {
        let args = self.args;
        let text = match args.format {
            DocumentFormat::Json => self.api.to_json(),
            DocumentFormat::Yaml => self.api.to_yaml(),
        };
        let mut ok = true;
        if let Some(path) = &args.output {
            if let Err(e) = std::fs::write(path, &text) {
                eprintln!("error: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        } else if args.check.is_none() {
            print!("{text}");
        }
        if let Some(path) = &args.check {
            ok &= check(path, &self.api.document);
        }
        if args.strict && !self.api.permissive.is_empty() {
            eprintln!(
                "error: {} permissive schema(s) (--strict):",
                self.api.permissive.len()
            );
            for p in &self.api.permissive {
                eprintln!("  {p}");
            }
            ok = false;
        }
        if ok {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

/// Whether the file at `path` holds `document`; the differences on stderr.
fn check(path: &std::path::Path, document: &Value) -> bool {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            return false;
        }
    };
    let expected: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(json) => match serde_saphyr::from_str(&text) {
            Ok(v) => v,
            Err(_) => {
                eprintln!(
                    "error: {} is neither JSON nor YAML ({json})",
                    path.display()
                );
                return false;
            }
        },
    };
    let differences = openapi::differences(&expected, document);
    if differences.is_empty() {
        return true;
    }
    eprintln!(
        "error: {} differs from the generated document ({} difference(s); regenerate it with `openapi --output {}`):",
        path.display(),
        differences.len(),
        path.display()
    );
    for d in differences.iter().take(SHOWN_DIFFERENCES) {
        eprintln!("  {d}");
    }
    if differences.len() > SHOWN_DIFFERENCES {
        eprintln!("  ... and {} more", differences.len() - SHOWN_DIFFERENCES);
    }
    false
}
