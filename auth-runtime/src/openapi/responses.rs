//! An operation's responses: the handler's success and error answers, its
//! extractors' rejections, and what the security pipeline answers in its
//! place (from the route's plan), shared as `components.responses`.

use std::collections::BTreeSet;

use schemars::SchemaGenerator;
use serde_json::{Map, Value, json};

use super::Permissive;
use super::document::Guards;
use super::schemas::{Generators, schema_or_permissive, subschema};
use crate::extract::error::{ApiError, ErrorDetail, ErrorMessage};
use crate::route::registry::RouteEntry;
use crate::route::registry::record::{Content, Rejection};

pub(super) fn json_content(schema: Value) -> Value {
    json!({"application/json": {"schema": schema}})
}

pub(super) fn responses(
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
pub(super) enum PipelineAnswer {
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

    pub(super) fn name(self) -> &'static str {
        match self {
            PipelineAnswer::Unauthorized => "Unauthorized",
            PipelineAnswer::Forbidden => "Forbidden",
            PipelineAnswer::TooManyRequests => "TooManyRequests",
            PipelineAnswer::QuotaError => "QuotaError",
            PipelineAnswer::Unavailable => "Unavailable",
        }
    }

    /// The response object, with the error body the server really sends.
    pub(super) fn object(self, generator: &mut SchemaGenerator, tenant_required: bool) -> Value {
        match self {
            PipelineAnswer::Unauthorized => json!({
                "description": if tenant_required {
                    "No credentials, credentials the provider rejects, or a caller without a tenant (`server.tenancy.mode: multi`: \"Tenant context required but not resolved from authentication\")"
                } else {
                    "No credentials, or credentials the provider rejects"
                },
                "headers": {"WWW-Authenticate": {
                    "description": "The bearer challenge (RFC 6750)",
                    "required": true,
                    "schema": {"type": "string"},
                }},
                "content": json_content(subschema::<ErrorMessage>(generator)),
            }),
            PipelineAnswer::Forbidden => json!({
                "description": "Denied by the route's required scope or by the route policy",
                "headers": {"WWW-Authenticate": {
                    "description": "On a missing scope: `Bearer realm=\"webmethod\", error=\"insufficient_scope\", scope=\"<the route's scope>\"` (RFC 6750 §3.1)",
                    "schema": {"type": "string"},
                }},
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
pub(super) fn reason(status: &str, default: &str) -> String {
    status
        .parse::<u16>()
        .ok()
        .and_then(|s| axum::http::StatusCode::from_u16(s).ok())
        .and_then(|s| s.canonical_reason())
        .unwrap_or(default)
        .to_owned()
}
