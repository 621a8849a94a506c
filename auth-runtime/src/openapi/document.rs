//! The document: every registered operation with its parameters, body,
//! responses and security, from the registry and the settings.

use std::collections::{BTreeMap, BTreeSet};

use schemars::generate::{Contract, SchemaSettings};
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{Map, Value, json};

use super::security::Schemes;
use super::{Info, Permissive};
use crate::extract::error::{ApiError, ErrorDetail, ErrorMessage};
use crate::pipeline::plan::{Facts, Plan};
use crate::route::registry::RouteEntry;
use crate::route::registry::record::{Content, OperationDoc, Rejection, SchemaFn};
use crate::route::target::Target;
use crate::security::settings::Settings;

const COMPONENTS: &str = "#/components/schemas/";

/// What the security pipeline can answer, from the settings: the facts the
/// pipeline's [`Plan`] is decided from, and the security schemes.
pub(super) struct Guards<'s> {
    pub(super) facts: Facts<'s>,
    pub(super) schemes: Schemes,
}

impl<'s> Guards<'s> {
    pub(super) fn new(settings: &'s Settings, provider_in_code: bool) -> Guards<'s> {
        Guards {
            facts: Facts {
                authentication: provider_in_code || !settings.providers.is_empty(),
                routes: (!settings.routes.is_empty()).then_some(&settings.routes),
                quota: settings.quota.as_ref().map(|q| &q.exempt_routes),
                // The app's own guards answer as the app documents them.
                guards: false,
            },
            schemes: Schemes::new(&settings.providers, provider_in_code),
        }
    }

    /// The pipeline's plan for `entry`, as the router decides it.
    fn plan(&self, entry: &'static RouteEntry) -> Plan {
        Plan::decide(Target::Route(entry), &self.facts)
    }
}

/// Schemas of request types (what the server accepts) and of response types
/// (what it sends) differ for the same type under serde's attributes
/// (`default`, `skip_serializing_if`): one generator for each.
struct Generators {
    request: SchemaGenerator,
    response: SchemaGenerator,
}

fn generator(contract: Contract) -> SchemaGenerator {
    SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
            s.meta_schema = None;
            s.contract = contract;
        })
        .into_generator()
}

/// Builds the document; `permissive` receives each schema the types could not give.
pub(super) fn build(
    entries: &[&'static RouteEntry],
    guards: &Guards<'_>,
    info: &Info,
    permissive: &mut Vec<Permissive>,
) -> Value {
    let mut generators = Generators {
        request: generator(Contract::Deserialize),
        response: generator(Contract::Serialize),
    };
    let mut paths: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
    let mut used = BTreeSet::new();
    for entry in entries {
        let operation = operation(entry, guards, &mut generators, permissive, &mut used);
        paths
            .entry(openapi_path(entry.path))
            .or_default()
            .insert(entry.method.as_str().to_ascii_lowercase(), operation);
    }
    let mut paths: Map<String, Value> = paths
        .into_iter()
        .map(|(path, ops)| (path, Value::Object(ops)))
        .collect();
    let mut shared: Map<String, Value> = used
        .iter()
        .map(|answer| {
            (
                answer.name().to_owned(),
                answer.object(&mut generators.response),
            )
        })
        .collect();
    let schemas = merge_definitions(&mut generators, &mut paths, &mut shared);

    let mut components = Map::new();
    if !shared.is_empty() {
        components.insert("responses".into(), Value::Object(shared));
    }
    components.insert("schemas".into(), Value::Object(schemas));
    let schemes = guards.schemes.components();
    if !schemes.is_empty() {
        components.insert("securitySchemes".into(), Value::Object(schemes));
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": info.title, "version": info.version},
        "paths": paths,
        "components": components,
    })
}

/// `/v1/files/{*path}` (the router's syntax) -> `/v1/files/{path}`.
fn openapi_path(served: &str) -> String {
    served.replace("{*", "{")
}

/// A schema, or the permissive one (`{}`) with the handler reported.
fn schema_or_permissive(
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

fn operation(
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
fn path_parameters(
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
fn query_parameters(
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

/// A `$ref` to a component, replaced by the component's schema.
fn resolve(generator: &SchemaGenerator, value: Value) -> Value {
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

fn subschema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Value {
    generator.subschema_for::<T>().to_value()
}

fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

fn responses(
    entry: &'static RouteEntry,
    guards: &Guards<'_>,
    generators: &mut Generators,
    permissive: &mut Vec<Permissive>,
    used: &mut BTreeSet<PipelineAnswer>,
) -> Map<String, Value> {
    let doc = &entry.doc;
    let generator = &mut generators.response;
    let mut responses = Map::new();

    let status = doc
        .response
        .status
        .map_or_else(|| "2XX".to_owned(), |s| s.to_string());
    let mut success = json!({"description": reason(&status, "Success")});
    match doc.response.content {
        Content::Empty => {}
        Content::Json(schema) => {
            let schema = schema_or_permissive(schema, generator, entry, "response", permissive);
            success["content"] = json_content(schema);
        }
        Content::Text => success["content"] = json!({"text/plain": {"schema": {"type": "string"}}}),
        Content::Html => success["content"] = json!({"text/html": {"schema": {"type": "string"}}}),
        Content::Unknown => {
            permissive.push(Permissive {
                entry,
                part: "response (add `response = T` to the annotation)",
            });
            success["content"] = json!({"*/*": {"schema": {}}});
        }
    }
    responses.insert(status, success);

    // The handler's own errors and its extractors' rejections: any status.
    let mut errors: Vec<Value> = Vec::new();
    let mut text = false;
    if let Some(error) = doc.error {
        errors.push(schema_or_permissive(
            error, generator, entry, "error", permissive,
        ));
    }
    for rejection in doc.rejections {
        match rejection() {
            Rejection::Json => errors.push(subschema::<ApiError>(generator)),
            Rejection::Text => text = true,
        }
    }
    errors.dedup();
    if !errors.is_empty() || text {
        let mut content = Map::new();
        if !errors.is_empty() {
            let schema = if errors.len() == 1 {
                errors.remove(0)
            } else {
                json!({"anyOf": errors})
            };
            content.insert("application/json".into(), json!({"schema": schema}));
        }
        if text {
            content.insert("text/plain".into(), json!({"schema": {"type": "string"}}));
        }
        responses.insert(
            "default".into(),
            json!({"description": "An error the handler or a request extractor answers", "content": content}),
        );
    }

    // What the security pipeline answers in the handler's place: shared
    // objects of `components.responses`.
    // What it answers is read from the plan the router executes.
    let plan = guards.plan(entry);
    let protected = plan.may_answer_unauthorized();
    for (answers, pipeline) in [
        (protected, PipelineAnswer::Unauthorized),
        (plan.may_answer_forbidden(), PipelineAnswer::Forbidden),
        (plan.may_answer_quota(), PipelineAnswer::TooManyRequests),
        (plan.may_answer_quota(), PipelineAnswer::QuotaError),
        (protected, PipelineAnswer::Unavailable),
    ] {
        if answers {
            responses.insert(
                pipeline.status().into(),
                json!({"$ref": format!("#/components/responses/{}", pipeline.name())}),
            );
            used.insert(pipeline);
        }
    }
    responses
}

/// An answer of the security pipeline, documented once in `components.responses`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum PipelineAnswer {
    Unauthorized,
    Forbidden,
    TooManyRequests,
    QuotaError,
    Unavailable,
}

impl PipelineAnswer {
    fn status(self) -> &'static str {
        match self {
            PipelineAnswer::Unauthorized => "401",
            PipelineAnswer::Forbidden => "403",
            PipelineAnswer::TooManyRequests => "429",
            PipelineAnswer::QuotaError => "500",
            PipelineAnswer::Unavailable => "503",
        }
    }

    fn name(self) -> &'static str {
        match self {
            PipelineAnswer::Unauthorized => "Unauthorized",
            PipelineAnswer::Forbidden => "Forbidden",
            PipelineAnswer::TooManyRequests => "TooManyRequests",
            PipelineAnswer::QuotaError => "QuotaError",
            PipelineAnswer::Unavailable => "Unavailable",
        }
    }

    /// The response object, with the error body the server really sends.
    fn object(self, generator: &mut SchemaGenerator) -> Value {
        match self {
            PipelineAnswer::Unauthorized => json!({
                "description": "No credentials, or credentials the provider rejects",
                "headers": {"WWW-Authenticate": {
                    "description": "The bearer challenge (RFC 6750)",
                    "required": true,
                    "schema": {"type": "string"},
                }},
                "content": json_content(subschema::<ErrorMessage>(generator)),
            }),
            PipelineAnswer::Forbidden => json!({
                "description": "Denied by the route's required scope or by the route policy",
                "content": json_content(subschema::<ErrorDetail>(generator)),
            }),
            PipelineAnswer::TooManyRequests => {
                let count = json!({"schema": {"type": "integer", "minimum": 0}});
                json!({
                    "description": "Over the quota",
                    "headers": {
                        "Retry-After": {
                            "description": "Seconds until the window resets",
                            "required": true,
                            "schema": {"type": "integer", "minimum": 0},
                        },
                        "RateLimit-Limit": count,
                        "RateLimit-Remaining": count,
                        "RateLimit-Reset": count,
                    },
                    "content": json_content(subschema::<ErrorMessage>(generator)),
                })
            }
            PipelineAnswer::QuotaError => json!({
                "description": "The quota store failed (\"Quota service error\"): the request is not served",
                "content": json_content(subschema::<ErrorMessage>(generator)),
            }),
            PipelineAnswer::Unavailable => json!({
                "description": "The identity provider is unavailable",
                "content": json_content(subschema::<ErrorMessage>(generator)),
            }),
        }
    }
}

/// The reason phrase of a status, for a response's description.
fn reason(status: &str, default: &str) -> String {
    status
        .parse::<u16>()
        .ok()
        .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
        .and_then(|s| s.canonical_reason())
        .unwrap_or(default)
        .to_owned()
}

/// The two generators' definitions in one `components.schemas`. A type whose
/// request and response schemas differ keeps its name for the request and
/// is `<Name>Response` in responses (whose `$ref`s are rewritten).
fn merge_definitions(
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

fn unique(a: &Map<String, Value>, b: &Map<String, Value>, name: &str) -> String {
    let mut candidate = format!("{name}Response");
    let mut n = 2;
    while a.contains_key(&candidate) || b.contains_key(&candidate) {
        candidate = format!("{name}Response{n}");
        n += 1;
    }
    candidate
}

fn rewrite_refs(value: &mut Value, renamed: &[(String, String)]) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::registry::Method;
    use crate::route::registry::record::{BodyDoc, ResponseDoc};
    use axum::routing::MethodRouter;
    use schemars::Schema;
    use serde::{Deserialize, Serialize};

    fn build_route(
        _: &crate::route::state::StateMap,
        _: Option<&crate::route::registry::RouteLayer>,
    ) -> Result<MethodRouter, crate::route::state::MissingState> {
        Ok(MethodRouter::new())
    }

    fn entry(
        method: Method,
        path: &'static str,
        template: &'static str,
        params: &'static [&'static str],
        doc: OperationDoc,
    ) -> &'static RouteEntry {
        Box::leak(Box::new(RouteEntry {
            method,
            path,
            template,
            level: Some("v1"),
            params,
            require_authentication: true,
            required_scope: Some("things.read"),
            deprecated: false,
            descriptive_name: None,
            handler: doc.operation_id,
            module_path: "tests",
            file: "src/test.rs",
            line: 1,
            state: None,
            optional_user: false,
            access: false,
            doc,
            build: build_route,
        }))
    }

    fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Option<Schema> {
        Some(generator.subschema_for::<T>())
    }

    fn none(_: &mut SchemaGenerator) -> Option<Schema> {
        None
    }

    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct ById {
        owner: String,
        id: u32,
    }

    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Page {
        limit: u32,
        cursor: Option<String>,
    }

    /// Read with a default, always written: required only in responses.
    #[derive(Serialize, Deserialize, JsonSchema)]
    struct Thing {
        #[serde(default)]
        size: u32,
    }

    fn generate(entries: &[&'static RouteEntry], yaml: &str) -> (Value, Vec<Permissive>) {
        let settings = Settings::parse(yaml, "test", &|_| None).unwrap();
        let guards = Guards::new(&settings, false);
        let mut permissive = Vec::new();
        let doc = build(entries, &guards, &Info::new("t", "1"), &mut permissive);
        (doc, permissive)
    }

    const KEYS: &str = "server:\n  auth:\n    provider_config:\n      type: api_keys\n      keys: [{key: k, principal: p}]\n";

    #[test]
    fn path_parameters_are_typed_by_name_by_position_or_alone() {
        let mut by_name = OperationDoc::new("by_name");
        by_name.path = Some(schema::<ById>);
        let mut by_position = OperationDoc::new("by_position");
        by_position.path = Some(schema::<(String, u32)>);
        let mut alone = OperationDoc::new("alone");
        alone.path = Some(schema::<u64>);
        let untyped = OperationDoc::new("untyped");
        let entries = [
            entry(
                Method::Get,
                "/v1/a/{owner}/{id}",
                "/a/{owner}/{id}",
                &["owner", "id"],
                by_name,
            ),
            entry(
                Method::Get,
                "/v1/b/{owner}/{id}",
                "/b/{owner}/{id}",
                &["owner", "id"],
                by_position,
            ),
            entry(Method::Get, "/v1/c/{n}", "/c/{n}", &["n"], alone),
            entry(
                Method::Get,
                "/v1/d/{*rest}",
                "/d/{rest:path}",
                &["rest"],
                untyped,
            ),
        ];
        let (doc, _) = generate(&entries, KEYS);
        let params = |path: &str| doc["paths"][path]["get"]["parameters"].clone();
        for path in ["/v1/a/{owner}/{id}", "/v1/b/{owner}/{id}"] {
            assert_eq!(params(path)[0]["schema"]["type"], "string", "{path}");
            assert_eq!(params(path)[1]["schema"]["type"], "integer", "{path}");
            assert_eq!(params(path)[1]["name"], "id");
            assert_eq!(params(path)[1]["in"], "path");
            assert_eq!(params(path)[1]["required"], true);
        }
        assert_eq!(params("/v1/c/{n}")[0]["schema"]["type"], "integer");
        let rest = &params("/v1/d/{rest}")[0];
        assert_eq!(rest["schema"], json!({"type": "string"}));
        assert!(rest["description"].as_str().unwrap().contains('/'));
    }

    #[test]
    fn query_structs_become_query_parameters() {
        let mut doc = OperationDoc::new("list");
        doc.query = Some(schema::<Page>);
        doc.response.content = Content::Empty;
        let (document, permissive) = generate(
            &[entry(Method::Get, "/v1/things", "/things", &[], doc)],
            KEYS,
        );
        let params = &document["paths"]["/v1/things"]["get"]["parameters"];
        assert_eq!(params[0]["name"], "cursor");
        assert_eq!(params[0]["required"], false);
        assert_eq!(params[1]["name"], "limit");
        assert_eq!(params[1]["required"], true);
        assert!(
            params
                .as_array()
                .unwrap()
                .iter()
                .all(|p| p["in"] == "query")
        );
        assert!(permissive.is_empty());
    }

    #[test]
    fn missing_schemas_are_permissive_and_reported() {
        let mut doc = OperationDoc::new("opaque");
        doc.body = Some(BodyDoc {
            media_type: "application/json",
            schema: none,
        });
        doc.response = ResponseDoc {
            status: None,
            content: Content::Unknown,
        };
        let (document, permissive) = generate(
            &[entry(Method::Post, "/v1/things", "/things", &[], doc)],
            KEYS,
        );
        let op = &document["paths"]["/v1/things"]["post"];
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"],
            json!({})
        );
        assert!(op["responses"]["2XX"]["content"]["*/*"].is_object(), "{op}");
        let parts: Vec<&str> = permissive.iter().map(|p| p.part).collect();
        assert_eq!(parts.len(), 2, "{parts:?}");
        assert!(parts[0].starts_with("request body") && parts[1].starts_with("response"));
        assert!(permissive[0].to_string().contains("src/test.rs:1"));
    }

    #[test]
    fn a_type_read_and_written_differently_has_two_schemas() {
        let mut doc = OperationDoc::new("create");
        doc.body = Some(BodyDoc {
            media_type: "application/json",
            schema: schema::<Thing>,
        });
        doc.response = ResponseDoc {
            status: Some(201),
            content: Content::Json(schema::<Thing>),
        };
        let (document, _) = generate(
            &[entry(Method::Post, "/v1/things", "/things", &[], doc)],
            KEYS,
        );
        let schemas = &document["components"]["schemas"];
        assert!(schemas["Thing"].get("required").is_none(), "{schemas}");
        assert_eq!(schemas["ThingResponse"]["required"], json!(["size"]));
        let op = &document["paths"]["/v1/things"]["post"];
        assert_eq!(
            op["responses"]["201"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/ThingResponse"
        );
        assert_eq!(
            op["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Thing"
        );
    }

    #[test]
    fn without_authentication_nothing_is_protected() {
        let (document, _) = generate(
            &[entry(
                Method::Get,
                "/v1/things",
                "/things",
                &[],
                OperationDoc::new("list"),
            )],
            "server: {}\n",
        );
        let op = &document["paths"]["/v1/things"]["get"];
        assert_eq!(op["security"], json!([]));
        assert!(op["responses"].get("401").is_none());
        assert!(document["components"].get("securitySchemes").is_none());
    }

    #[test]
    fn a_provider_in_code_is_a_bearer_scheme() {
        let settings = Settings::parse("server: {}\n", "test", &|_| None).unwrap();
        let guards = Guards::new(&settings, true);
        let entries = [entry(
            Method::Get,
            "/v1/things",
            "/things",
            &[],
            OperationDoc::new("list"),
        )];
        let doc = build(&entries, &guards, &Info::new("t", "1"), &mut Vec::new());
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        assert_eq!(
            doc["paths"]["/v1/things"]["get"]["security"],
            json!([{"bearer": ["things.read"]}])
        );
        assert_eq!(
            doc["paths"]["/v1/things"]["get"]["responses"]["401"]["$ref"],
            "#/components/responses/Unauthorized"
        );
        let unauthorized = &doc["components"]["responses"]["Unauthorized"];
        assert!(unauthorized["headers"]["WWW-Authenticate"].is_object());
    }
}
