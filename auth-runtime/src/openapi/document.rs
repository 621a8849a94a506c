//! The document: every registered operation, from the registry and the
//! settings, its shared responses, its schemas and its security schemes.
//! The parts: `operation` (parameters, body), `responses` (the handler's
//! and the pipeline's answers), `schemas` (the generators and the shared
//! definitions), `security` (the schemes).

use std::collections::{BTreeMap, BTreeSet};

use schemars::generate::Contract;
use serde_json::{Map, Value, json};

use super::operation::operation;
use super::schemas::{Generators, generator, merge_definitions};
use super::security::Schemes;
use super::{Info, Permissive};
use crate::pipeline::plan::{Facts, Plan};
use crate::route::registry::RouteEntry;
use crate::route::target::Target;
use crate::security::settings::Settings;

/// What the security pipeline can answer, from the settings: the facts the
/// pipeline's [`Plan`] is decided from, and the security schemes.
pub(super) struct Guards<'s> {
    pub(super) facts: Facts<'s>,
    pub(super) schemes: Schemes,
    /// `server.tenancy.mode: multi`: a caller without a tenant is a 401 too.
    pub(super) tenant_required: bool,
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
            tenant_required: settings.tenancy == crate::authn::tenancy::Tenancy::Multi,
        }
    }

    /// The pipeline's plan for `entry`, as the router decides it.
    pub(super) fn plan(&self, entry: &'static RouteEntry) -> Plan {
        Plan::decide(Target::Route(entry), &self.facts)
    }
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
                answer.object(&mut generators.response, guards.tenant_required),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::registry::Method;
    use crate::route::registry::record::{BodyDoc, ResponseDoc};
    use crate::route::registry::record::{Content, OperationDoc};
    use axum::routing::MethodRouter;
    use schemars::Schema;
    use schemars::{JsonSchema, SchemaGenerator};
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

    /// `server.tenancy.mode: multi` says in the 401 that a caller without a
    /// tenant gets it too; other modes leave the description as it was.
    #[test]
    fn the_401_of_multi_mode_names_the_missing_tenant() {
        let entry = entry(Method::Get, "/v1/t", "/t", &[], OperationDoc::new("t"));
        let description = |yaml: &str| {
            let (doc, _) = generate(&[entry], yaml);
            doc["components"]["responses"]["Unauthorized"]["description"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        let multi = description(&format!("{KEYS}  tenancy: {{mode: multi}}\n"));
        assert!(multi.contains("Tenant context required"), "{multi}");
        let plain = description(KEYS);
        assert_eq!(plain, "No credentials, or credentials the provider rejects");
    }

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
