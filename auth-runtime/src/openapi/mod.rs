//! The OpenAPI 3.1 document of the app, generated from the `#[webmethod]`
//! registry and the config (DESIGN.md "OpenAPI"): every operation with its
//! parameters, body, responses and security. Nothing here runs per request:
//! the document is made once (`openapi` command, or at startup when
//! `server.openapi` serves it).
//!
//! ```no_run
//! use auth_runtime::openapi::{Info, OpenApi};
//! use auth_runtime::Settings;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let settings = Settings::from_config(&auth_runtime::config::Config::default())?;
//! let table = auth_runtime::route::RouteTable::from_registry()?;
//! let api = OpenApi::generate(&table, &settings, false, &Info::new("my-api", "1.0.0"));
//! println!("{}", api.to_json());
//! # Ok(()) }
//! ```

mod check;
mod document;
mod security;

use std::fmt;

use serde_json::Value;

pub use crate::route::registry::record::{
    BodyDoc, Content, OperationDoc, Rejection, ResponseDoc, SchemaFn,
};
pub use check::differences;

use crate::route::registry::RouteEntry;
use crate::route::table::RouteTable;
use crate::security::settings::Settings;

/// `info` of the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// `info.title`: the API's name.
    pub title: String,
    /// `info.version`: the API's version (not the OpenAPI version).
    pub version: String,
}

impl Info {
    /// `info` with this title and version.
    pub fn new(title: impl Into<String>, version: impl Into<String>) -> Info {
        Info {
            title: title.into(),
            version: version.into(),
        }
    }
}

/// A generated document, and the handlers it could only describe loosely.
#[derive(Debug, Clone)]
pub struct OpenApi {
    /// The OpenAPI 3.1 document, as JSON.
    pub document: Value,
    /// One entry per schema the handler's types could not give (a type that
    /// does not implement `schemars::JsonSchema`, a return type the macro
    /// cannot read): `openapi --strict` fails on them.
    pub permissive: Vec<Permissive>,
}

/// A part of an operation documented with a permissive schema.
#[derive(Debug, Clone, Copy)]
pub struct Permissive {
    /// The route whose handler it is.
    pub entry: &'static RouteEntry,
    /// `request body`, `response`, `query parameters`, ...
    pub part: &'static str,
}

impl fmt::Display for Permissive {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} has no schema (derive or implement `schemars::JsonSchema`)",
            self.entry.describe(),
            self.part
        )
    }
}

impl OpenApi {
    /// The document of `table`'s routes served under `settings`;
    /// `provider_in_code`: the app authenticates with
    /// [`App::auth_provider`](crate::App::auth_provider). The table already
    /// refused two routes with one `operationId`.
    pub fn generate(
        table: &RouteTable,
        settings: &Settings,
        provider_in_code: bool,
        info: &Info,
    ) -> OpenApi {
        let guards = document::Guards::new(settings, provider_in_code);
        let mut permissive = Vec::new();
        let document = document::build(table.entries(), &guards, info, &mut permissive);
        OpenApi {
            document,
            permissive,
        }
    }

    /// Pretty JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut out =
            serde_json::to_string_pretty(&self.document).expect("a JSON value always serializes");
        out.push('\n');
        out
    }

    /// YAML.
    pub fn to_yaml(&self) -> String {
        serde_saphyr::to_string(&self.document).expect("a JSON value always serializes")
    }
}
