//! One operation: its id, texts, parameters (path and query), request body,
//! responses and security requirement.

use std::collections::BTreeSet;

use schemars::SchemaGenerator;
use serde_json::{Map, Value, json};

use super::Permissive;
use super::document::Guards;
use super::responses::{PipelineAnswer, responses};
use super::schemas::{Generators, resolve, schema_or_permissive};
use crate::route::registry::RouteEntry;
use crate::route::registry::record::{OperationDoc, SchemaFn};

pub(super) fn operation(
    entry: &'static RouteEntry,
    guards: &Guards<'_>,
    generators: &mut Generators,
    permissive: &mut Vec<Permissive>,
    used: &mut BTreeSet<PipelineAnswer>,
) -> Value {
    let doc: &OperationDoc = &entry.doc;
    let mut op = Map::new();
    op.insert("operationId".into(), json!(doc.operation_id));
    if let Some(summary) = doc.summary.or(entry.descriptive_name) {
        op.insert("summary".into(), json!(summary));
    }
    if let Some(description) = doc.description {
        op.insert("description".into(), json!(description));
    }
    if entry.deprecated {
        op.insert("deprecated".into(), json!(true));
    }
    let mut parameters = path_parameters(entry, &mut generators.request, permissive);
    if let Some(query) = doc.query {
        parameters.extend(query_parameters(
            entry,
            query,
            &mut generators.request,
            permissive,
        ));
    }
    if !parameters.is_empty() {
        op.insert("parameters".into(), Value::Array(parameters));
    }
    if let Some(body) = doc.body {
        let schema = schema_or_permissive(
            body.schema,
            &mut generators.request,
            entry,
            "request body",
            permissive,
        );
        op.insert(
            "requestBody".into(),
            json!({"required": true, "content": {body.media_type: {"schema": schema}}}),
        );
    }
    op.insert(
        "responses".into(),
        Value::Object(responses(entry, guards, generators, permissive, used)),
    );
    let protected = guards.plan(entry).may_answer_unauthorized();
    op.insert(
        "security".into(),
        guards.schemes.requirement(protected, entry.required_scope),
    );
    Value::Object(op)
}

/// The template's parameters, typed by `Path<T>` when the handler has one:
/// a struct's fields by name, a tuple's items by position, one value alone.
pub(super) fn path_parameters(
    entry: &'static RouteEntry,
    generator: &mut SchemaGenerator,
    permissive: &mut Vec<Permissive>,
) -> Vec<Value> {
    let whole = entry.doc.path.map(|schema| {
        let value = schema_or_permissive(schema, generator, entry, "path parameters", permissive);
        resolve(generator, value)
    });
    entry
        .params
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let schema = whole
                .as_ref()
                .and_then(|w| {
                    w.pointer(&format!("/properties/{name}"))
                        .or_else(|| w.pointer(&format!("/prefixItems/{i}")))
                        .cloned()
                        .or_else(|| (entry.params.len() == 1).then(|| w.clone()))
                })
                .unwrap_or_else(|| json!({"type": "string"}));
            let mut parameter = json!({
                "name": name,
                "in": "path",
                "required": true,
                "schema": schema,
            });
            if entry.template.contains(&format!("{{{name}:path}}")) {
                parameter["description"] = json!("A path: may contain `/`.");
            }
            parameter
        })
        .collect()
}

/// One `in: query` parameter per field of `Query<T>`'s struct.
pub(super) fn query_parameters(
    entry: &'static RouteEntry,
    query: SchemaFn,
    generator: &mut SchemaGenerator,
    permissive: &mut Vec<Permissive>,
) -> Vec<Value> {
    let value = schema_or_permissive(query, generator, entry, "query parameters", permissive);
    let value = resolve(generator, value);
    let required: Vec<&str> = value
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = value.get("properties").and_then(Value::as_object) else {
        if value != json!({}) {
            // Not a struct: axum could not read it from a query string by name.
            permissive.push(Permissive {
                entry,
                part: "query parameters (not a struct)",
            });
        }
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, schema)| {
            json!({
                "name": name,
                "in": "query",
                "required": required.contains(&name.as_str()),
                "schema": schema,
            })
        })
        .collect()
}
