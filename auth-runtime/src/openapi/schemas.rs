//! The JSON Schemas of the handlers' types: a generator for requests and
//! one for responses, and their definitions merged into
//! `components.schemas`.

use schemars::generate::{Contract, SchemaSettings};
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::Permissive;
use crate::route::registry::RouteEntry;
use crate::route::registry::record::SchemaFn;

pub(super) const COMPONENTS: &str = "#/components/schemas/";

/// Schemas of request types (what the server accepts) and of response types
/// (what it sends) differ for the same type under serde's attributes
/// (`default`, `skip_serializing_if`): one generator for each.
pub(super) struct Generators {
    pub(super) request: SchemaGenerator,
    pub(super) response: SchemaGenerator,
}

pub(super) fn generator(contract: Contract) -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
            s.contract = contract;
        })
        .into_generator()
}

/// A schema, or the permissive one (`{}`) with the handler reported.
pub(super) fn schema_or_permissive(
    schema: SchemaFn,
    generator: &mut SchemaGenerator,
    entry: &'static RouteEntry,
    part: &'static str,
    permissive: &mut Vec<Permissive>,
) -> Value {
    match schema(generator) {
        Some(schema) => schema.to_value(),
        None => {
            permissive.push(Permissive { entry, part });
            json!({})
        }
    }
}

/// A `$ref` to a component, replaced by the component's schema.
pub(super) fn resolve(generator: &SchemaGenerator, value: Value) -> Value {
    let target = value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix(COMPONENTS))
        .and_then(|name| generator.definitions().get(name));
    match target {
        Some(schema) => schema.clone(),
        None => value,
    }
}

pub(super) fn subschema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

/// The two generators' definitions in one `components.schemas`. A type whose
/// request and response schemas differ keeps its name for the request and
/// is `<Name>Response` in responses (whose `$ref`s are rewritten).
pub(super) fn merge_definitions(
    generators: &mut Generators,
    paths: &mut Map<String, Value>,
    shared_responses: &mut Map<String, Value>,
) -> Map<String, Value> {
    let mut schemas = generators.request.take_definitions(true);
    let mut response = generators.response.take_definitions(true);
    let renamed: Vec<(String, String)> = response
        .iter()
        .filter(|(name, schema)| schemas.get(*name).is_some_and(|s| s != *schema))
        .map(|(name, _)| (name.clone(), unique(&schemas, &response, name)))
        .collect();
    if !renamed.is_empty() {
        for (from, to) in &renamed {
            if let Some(schema) = response.remove(from) {
                response.insert(to.clone(), schema);
            }
        }
        for schema in response.values_mut().chain(shared_responses.values_mut()) {
            rewrite_refs(schema, &renamed);
        }
        for operation in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in operation.values_mut() {
                if let Some(responses) = op.get_mut("responses") {
                    rewrite_refs(responses, &renamed);
                }
            }
        }
    }
    schemas.extend(response);
    schemas
}

pub(super) fn unique(a: &Map<String, Value>, b: &Map<String, Value>, name: &str) -> String {
    let mut candidate = format!("{name}Response");
    let mut n = 2;
    while a.contains_key(&candidate) || b.contains_key(&candidate) {
        candidate = format!("{name}Response{n}");
        n += 1;
    }
    candidate
}

pub(super) fn rewrite_refs(value: &mut Value, renamed: &[(String, String)]) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(name) = reference.strip_prefix(COMPONENTS)
                && let Some((_, to)) = renamed.iter().find(|(from, _)| from == name)
            {
                *reference = format!("{COMPONENTS}{to}");
            }
            for v in map.values_mut() {
                rewrite_refs(v, renamed);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, renamed)),
        _ => {}
    }
}
