//! What `#[webmethod]` records about each operation for the API description:
//! `&'static` data and schema functions, read only when a document is made.

#[cfg(feature = "openapi")]
use schemars::JsonSchema;
#[cfg(feature = "openapi")]
pub use schemars::{Schema, SchemaGenerator};

/// The schema of one Rust type, or `None` when the type does not implement
/// `schemars::JsonSchema` (the document then has a permissive schema, which
/// `openapi --strict` reports).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Option<Schema>;

/// Without the `openapi` feature no schema is ever made: the generated code
/// still names a generator and a schema (the macro cannot see the runtime's
/// features), these stand-ins, and every probe answers "no schema".
#[cfg(not(feature = "openapi"))]
#[doc(hidden)]
#[derive(Debug)]
pub struct SchemaGenerator(());

/// A schema that cannot exist: without the `openapi` feature no schema is made.
#[cfg(not(feature = "openapi"))]
#[doc(hidden)]
#[derive(Debug)]
pub enum Schema {}

/// One operation, as the annotation and the handler's signature describe it.
#[derive(Debug, Clone, Copy)]
#[expect(
    clippy::exhaustive_structs,
    reason = "written by the code #[webmethod] generates, in a static"
)]
pub struct OperationDoc {
    /// `operation_id = "..."`, else the handler's name (a handler with
    /// several routes: `name`, `name_2`, `name_3`, ...).
    pub operation_id: &'static str,
    /// The doc comment's first line.
    pub summary: Option<&'static str>,
    /// The rest of the doc comment.
    pub description: Option<&'static str>,
    /// `T` of the handler's `Path<T>`.
    pub path: Option<SchemaFn>,
    /// `T` of the handler's `Query<T>`.
    pub query: Option<SchemaFn>,
    /// `Json<T>` or `Form<T>`.
    pub body: Option<BodyDoc>,
    /// The success response.
    pub response: ResponseDoc,
    /// `E` of a handler returning `Result<_, E>`.
    pub error: Option<SchemaFn>,
    /// What each of the handler's rejecting extractors (`Path`, `Query`,
    /// `Json`, `Form`) answers when it rejects a request.
    pub rejections: &'static [fn() -> Rejection],
}

/// The body of an extractor's rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(
    clippy::exhaustive_enums,
    reason = "written by the code #[webmethod] generates, in a static"
)]
pub enum Rejection {
    /// webmethod's extractors ([`crate::extract`]): the JSON error body.
    Json,
    /// axum's own: plain text.
    Text,
}

impl OperationDoc {
    /// An operation known only by its id: no parameters, no body, a 200
    /// response of unknown content. For entries built by hand (tests, benches).
    pub const fn new(operation_id: &'static str) -> OperationDoc {
        OperationDoc {
            operation_id,
            summary: None,
            description: None,
            path: None,
            query: None,
            body: None,
            response: ResponseDoc {
                status: Some(200),
                content: Content::Unknown,
            },
            error: None,
            rejections: &[],
        }
    }
}

/// A request body.
#[derive(Debug, Clone, Copy)]
#[expect(
    clippy::exhaustive_structs,
    reason = "written by the code #[webmethod] generates, in a static"
)]
pub struct BodyDoc {
    /// `application/json` or `application/x-www-form-urlencoded`.
    pub media_type: &'static str,
    /// The body type's schema.
    pub schema: SchemaFn,
}

/// The success response.
#[derive(Debug, Clone, Copy)]
#[expect(
    clippy::exhaustive_structs,
    reason = "written by the code #[webmethod] generates, in a static"
)]
pub struct ResponseDoc {
    /// `status = N`, else the code the return type makes obvious; `None`:
    /// some 2xx code the handler chooses (documented as `2XX`).
    pub status: Option<u16>,
    /// What its body carries.
    pub content: Content,
}

/// What a success response carries.
#[derive(Debug, Clone, Copy)]
#[expect(
    clippy::exhaustive_enums,
    reason = "written by the code #[webmethod] generates, in a static"
)]
pub enum Content {
    /// No body (`()`, `StatusCode`).
    Empty,
    /// `application/json` of a type (`Json<T>`, `response = T`).
    Json(SchemaFn),
    /// `text/plain` (`String`, `&'static str`).
    Text,
    /// `text/html` (`Html<_>`).
    Html,
    /// A return type the macro cannot read (`impl IntoResponse` without
    /// `response = T`, `Response`): documented as any content, reported by
    /// `openapi --strict`.
    Unknown,
}

// The probes below pick `JsonSchema` when the type implements it and the
// permissive fallback otherwise, by method resolution on a concrete type
// (autoref specialisation): generated code calls `(&Probe::<T>::NEW).schema_fn()`.

/// A type whose schema is asked for.
#[doc(hidden)]
pub struct Probe<T: ?Sized>(core::marker::PhantomData<T>);

impl<T: ?Sized> Probe<T> {
    pub const NEW: Probe<T> = Probe(core::marker::PhantomData);
}

/// Chosen when `T: JsonSchema` (never without the `openapi` feature: no
/// type has a schema then, the fallback answers for every one).
#[doc(hidden)]
pub trait WithSchema {
    fn schema_fn(&self) -> SchemaFn;
}

#[cfg(feature = "openapi")]
impl<T: JsonSchema + ?Sized> WithSchema for Probe<T> {
    fn schema_fn(&self) -> SchemaFn {
        |generator| Some(generator.subschema_for::<T>())
    }
}

/// Chosen otherwise.
#[doc(hidden)]
pub trait WithoutSchema {
    fn schema_fn(&self) -> SchemaFn;
}

impl<T: ?Sized> WithoutSchema for &Probe<T> {
    fn schema_fn(&self) -> SchemaFn {
        |_| None
    }
}

/// Chosen for webmethod's extractors, whose rejections are JSON error bodies.
#[doc(hidden)]
pub trait JsonRejection {
    fn rejection(&self) -> Rejection {
        Rejection::Json
    }
}

impl<T> JsonRejection for Probe<crate::extract::Json<T>> {}
impl<T> JsonRejection for Probe<crate::extract::Path<T>> {}
impl<T> JsonRejection for Probe<crate::extract::Query<T>> {}

/// Chosen for any other extractor (axum's answer plain text).
#[doc(hidden)]
pub trait TextRejection {
    fn rejection(&self) -> Rejection {
        Rejection::Text
    }
}

impl<T: ?Sized> TextRejection for &Probe<T> {}

#[cfg(test)]
// The `&` is what lets the fallback be found, as in the generated code.
#[allow(clippy::needless_borrow)]
mod tests {
    use super::*;

    #[cfg(feature = "openapi")]
    struct Opaque;

    /// Without the `openapi` feature the generated code still compiles
    /// against the probes, and every one answers "no schema".
    #[cfg(not(feature = "openapi"))]
    #[test]
    fn without_the_openapi_feature_no_type_has_a_schema() {
        let mut generator = SchemaGenerator(());
        let string = (&Probe::<String>::NEW).schema_fn();
        assert!(string(&mut generator).is_none());
    }

    #[cfg(feature = "openapi")]
    #[test]
    fn the_probe_finds_json_schema_when_there_is_one() {
        let mut generator = SchemaGenerator::default();
        let with = (&Probe::<String>::NEW).schema_fn();
        let without = (&Probe::<Opaque>::NEW).schema_fn();
        assert_eq!(
            with(&mut generator).map(Schema::to_value),
            Some(serde_json::json!({"type": "string"}))
        );
        assert!(without(&mut generator).is_none());
    }

    #[test]
    fn the_probe_tells_json_rejections_from_text_ones() {
        assert_eq!(
            (&Probe::<crate::extract::Json<u8>>::NEW).rejection(),
            Rejection::Json
        );
        assert_eq!((&Probe::<axum::Json<u8>>::NEW).rejection(), Rejection::Text);
    }
}
