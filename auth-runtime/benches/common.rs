//! A 200-route table shaped like a real API, for the benchmarks.

use auth_runtime::__private::{PipelineLayer, route};
use auth_runtime::{Method, MissingState, RouteEntry, StateMap};
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
    Box::leak(Box::new(RouteEntry {
        method,
        path,
        template: path,
        level: Some("v1"),
        params: &[],
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
        doc: auth_runtime::openapi::OperationDoc::new(leak(format!("op{line}"))),
        build,
    }))
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
