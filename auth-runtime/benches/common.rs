//! A 200-route table shaped like a real API, for the benchmarks.

use auth_runtime::__private::{PipelineLayer, RouteEntryParts, route};
use auth_runtime::StateMap;
use auth_runtime::openapi::{BodyDoc, Content, OperationDoc, ResponseDoc};
use auth_runtime::route::{Method, MissingState, RouteEntry};
use auth_runtime::schemars::{self, Schema, SchemaGenerator};
use axum::routing::MethodRouter;

pub const RESOURCES: usize = 40;

async fn handler() -> &'static str {
    "ok"
}

fn build_get(_: &StateMap, layer: Option<&PipelineLayer>) -> Result<MethodRouter, MissingState> {
    Ok(route(Method::Get.filter(), handler, layer))
}
fn build_post(_: &StateMap, layer: Option<&PipelineLayer>) -> Result<MethodRouter, MissingState> {
    Ok(route(Method::Post.filter(), handler, layer))
}
fn build_delete(_: &StateMap, layer: Option<&PipelineLayer>) -> Result<MethodRouter, MissingState> {
    Ok(route(Method::Delete.filter(), handler, layer))
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn entry(method: Method, path: String, line: u32) -> &'static RouteEntry {
    let build = match method {
        Method::Get => build_get,
        Method::Post => build_post,
        _ => build_delete,
    };
    let path = leak(path);
    Box::leak(Box::new(RouteEntry::from_parts(RouteEntryParts {
        method,
        path,
        template: path,
        level: Some("v1"),
        params: Box::leak(
            path.split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        ),
        require_authentication: true,
        required_scope: None,
        deprecated: false,
        descriptive_name: None,
        handler: "handler",
        module_path: "bench",
        file: "benches/common.rs",
        line,
        state: None,
        optional_user: false,
        access: false,
        doc: doc(method, leak(format!("op{line}"))),
        build,
    })))
}

/// A resource as handlers send and receive it.
#[derive(schemars::JsonSchema)]
#[allow(dead_code)]
struct Resource {
    id: u64,
    name: String,
    labels: std::collections::BTreeMap<String, String>,
    parent: Option<u64>,
}

fn resource_schema(g: &mut SchemaGenerator) -> Option<Schema> {
    Some(g.subschema_for::<Resource>())
}

fn id_schema(g: &mut SchemaGenerator) -> Option<Schema> {
    Some(g.subschema_for::<u64>())
}

fn error_schema(g: &mut SchemaGenerator) -> Option<Schema> {
    Some(g.subschema_for::<auth_runtime::ApiError>())
}

/// What the macro would record for a typical handler of this method.
fn doc(method: Method, operation_id: &'static str) -> OperationDoc {
    let mut doc = OperationDoc::new(operation_id);
    doc.summary = Some("Does something to a resource.");
    doc.response.content = Content::Json(resource_schema);
    doc.error = Some(error_schema);
    match method {
        Method::Post => {
            doc.body = Some(BodyDoc {
                media_type: "application/json",
                schema: resource_schema,
            })
        }
        Method::Get => doc.path = Some(id_schema),
        _ => {
            doc.path = Some(id_schema);
            doc.response = ResponseDoc {
                status: Some(204),
                content: Content::Empty,
            };
        }
    }
    doc
}

/// 40 resources x 5 routes: list, create, get, delete, nested get.
pub fn entries() -> Vec<&'static RouteEntry> {
    let mut out = Vec::new();
    for i in 0..RESOURCES {
        let line = i as u32 * 5;
        out.push(entry(Method::Get, format!("/v1/resource{i:02}"), line));
        out.push(entry(Method::Post, format!("/v1/resource{i:02}"), line + 1));
        out.push(entry(
            Method::Get,
            format!("/v1/resource{i:02}/{{id}}"),
            line + 2,
        ));
        out.push(entry(
            Method::Delete,
            format!("/v1/resource{i:02}/{{id}}"),
            line + 3,
        ));
        out.push(entry(
            Method::Get,
            format!("/v1/resource{i:02}/{{id}}/versions/{{version}}"),
            line + 4,
        ));
    }
    out
}
