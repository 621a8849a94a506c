//! The OpenAPI 3.1 document of the app, generated from the `#[webmethod]`
//! registry and the config (DESIGN.md "OpenAPI"): every operation with its
//! parameters, body, responses and security. Nothing here runs per request:
//! the document is made once (`openapi` command, or at startup when
//! `server.openapi` serves it). The document needs the `openapi` feature (a
//! default one); without it this module holds only what `#[webmethod]`
//! records about each operation.
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

// The document: with the `openapi` feature. What the macro records about
// each operation (below) is there either way: every route entry carries it.
#[cfg(feature = "openapi")]
mod check;
#[cfg(feature = "openapi")]
mod document;
#[cfg(feature = "openapi")]
mod operation;
#[cfg(feature = "openapi")]
mod responses;
#[cfg(feature = "openapi")]
mod schemas;
#[cfg(feature = "openapi")]
mod security;

pub use crate::route::registry::record::{
    BodyDoc, Content, OperationDoc, Rejection, ResponseDoc, SchemaFn,
};
#[cfg(feature = "openapi")]
pub use check::differences;

#[cfg(feature = "openapi")]
use crate::route::registry::RouteEntry;
#[cfg(feature = "openapi")]
use crate::route::table::RouteTable;
#[cfg(feature = "openapi")]
use crate::security::settings::Settings;
#[cfg(feature = "openapi")]
use serde_json::Value;

/// `info` of the document.
#[cfg(feature = "openapi")]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Info {
    /// `info.title`: the API's name.
    pub title: String,
    /// `info.version`: the API's version (not the OpenAPI version).
    pub version: String,
}

#[cfg(feature = "openapi")]
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
#[cfg(feature = "openapi")]
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OpenApi {
    /// The OpenAPI 3.1 document, as JSON.
    pub document: Value,
    /// One entry per schema the handler's types could not give (a type that
    /// does not implement `schemars::JsonSchema`, a return type the macro
    /// cannot read): `openapi --strict` fails on them.
    pub permissive: Vec<Permissive>,
}

/// A part of an operation documented with a permissive schema.
#[cfg(feature = "openapi")]
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Permissive {
    /// The route whose handler it is.
    pub entry: &'static RouteEntry,
    /// `request body`, `response`, `query parameters`, ...
    pub part: &'static str,
}

#[cfg(feature = "openapi")]
impl std::fmt::Display for Permissive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} has no schema (derive or implement `schemars::JsonSchema`)",
            self.entry.describe(),
            self.part
        )
    }
}

#[cfg(feature = "openapi")]
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

#[cfg(not(feature = "openapi"))]
#[cfg(test)]
mod tests {
    /// Without the `openapi` feature there is no document to serve:
    /// `server.openapi` is refused by name, never ignored.
    #[test]
    fn without_the_openapi_feature_serving_the_document_is_refused() {
        let config = crate::config::Config::parse(
            "server:\n  openapi: {path: /openapi.json}\n",
            "test",
            &|_| None,
        )
        .unwrap();
        let errors = crate::security::settings::Settings::from_config(&config).unwrap_err();
        let shown = errors.to_string();
        assert!(
            shown.contains("`server.openapi`: this build of auth-runtime has no `openapi` feature"),
            "{shown}"
        );
    }
}
