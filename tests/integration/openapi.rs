//! The demo's OpenAPI document tells the truth: it is the committed golden
//! file, an independent validator accepts it, it is served when configured,
//! and every answer of every demo route is one the document lists, with the
//! content type and body schema it gives.

use std::process::{Command, Output};

use serde_json::{Value, json};

use crate::demo_server::{Server, server_binary};

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/server.openapi.json");

fn demo(args: &[&str]) -> Output {
    Command::new(server_binary()).args(args).output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn golden() -> Value {
    serde_json::from_str(&std::fs::read_to_string(GOLDEN).unwrap()).unwrap()
}

#[test]
fn the_golden_file_is_the_generated_document_and_has_no_permissive_schema() {
    let out = demo(&["openapi", "--check", GOLDEN, "--strict"]);
    assert!(
        out.status.success(),
        "regenerate with `cargo run --example server -- openapi --output examples/server.openapi.json`:\n{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty(), "--check prints no document");

    // Printed as JSON and as YAML, the same document.
    let json_out = demo(&["openapi"]);
    let printed: Value = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(printed, golden());
    let yaml_out = demo(&["openapi", "--format", "yaml"]);
    let yaml: Value = serde_saphyr::from_slice(&yaml_out.stdout).unwrap();
    assert_eq!(yaml, golden());
}

#[test]
fn check_names_each_difference_and_fails() {
    let dir = std::env::temp_dir().join(format!("webmethod-openapi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stale = dir.join("stale.json");
    let mut document = golden();
    document["paths"]
        .as_object_mut()
        .unwrap()
        .remove("/v1/version");
    document["info"]["version"] = json!("0.0.1");
    std::fs::write(&stale, serde_json::to_string(&document).unwrap()).unwrap();
    let out = demo(&["openapi", "--check", stale.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("2 difference(s)"), "{err}");
    assert!(err.contains("changed /info/version"), "{err}");
    assert!(err.contains("added /paths/~1v1~1version"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_independent_validator_accepts_the_documents() {
    let probe = Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .output()
        .unwrap();
    assert!(
        probe.status.success(),
        "openapi-spec-validator is missing: scripts/test installs it (pip install openapi-spec-validator)"
    );
    let dir = std::env::temp_dir().join(format!("webmethod-openapi-v-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The demo's, and one with every kind of security scheme and the quota.
    let config = dir.join("all.yaml");
    std::fs::write(&config, EVERY_SCHEME).unwrap();
    let all = dir.join("all.json");
    let out = demo(&[
        "openapi",
        "--config",
        config.to_str().unwrap(),
        "--output",
        all.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    for file in [GOLDEN, all.to_str().unwrap()] {
        let out = Command::new("python3")
            .args(["-m", "openapi_spec_validator", file])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{file}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Several providers (api_keys, a JWT issuer with discovery, introspection),
/// a quota, and the route policy.
const EVERY_SCHEME: &str = r#"
server:
  auth:
    providers:
      - type: api_keys
        keys: [{key: k1, principal: p1}]
      - name: people
        type: oauth2_token
        issuer: [https://idp.example.com, https://idp2.example.com]
        audience: api
        jwks: {uri: "https://idp.example.com/jwks"}
      - name: machines
        type: oauth2_token
        audience: api
        introspection: {url: "https://idp.example.com/introspect", client_id: c, client_secret: s}
    route_policy:
      - permit: {paths: "*"}
  quota:
    kvstore: {type: memory}
    anonymous_max_requests: 10
    authenticated_max_requests: 100
    period: day
"#;

#[test]
fn security_schemes_follow_the_providers() {
    let dir = std::env::temp_dir().join(format!("webmethod-openapi-s-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("all.yaml");
    std::fs::write(&config, EVERY_SCHEME).unwrap();
    let out = demo(&["openapi", "--config", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["api_keys"]["scheme"], "bearer");
    assert_eq!(schemes["people"]["bearerFormat"], "JWT");
    assert_eq!(
        schemes["people_oidc"]["openIdConnectUrl"],
        "https://idp.example.com/.well-known/openid-configuration"
    );
    assert_eq!(
        schemes["people_oidc_2"]["openIdConnectUrl"],
        "https://idp2.example.com/.well-known/openid-configuration"
    );
    assert_eq!(schemes["machines"]["type"], "http");
    assert!(schemes["machines"].get("bearerFormat").is_none());

    let register = &doc["paths"]["/v1/models"]["post"];
    let alternatives = register["security"].as_array().unwrap();
    assert_eq!(alternatives.len(), 5, "{alternatives:?}");
    assert!(alternatives.contains(&json!({"people": ["models.write"]})));
    assert_eq!(doc["paths"]["/v1/health"]["get"]["security"], json!([]));
    // The quota answers 429 (and 500 for a failing store) on every route it
    // charges, never on its exempt ones (`/v1/health` by default).
    let charged = &doc["paths"]["/v1/models"]["post"]["responses"];
    assert_eq!(
        charged["429"]["$ref"],
        "#/components/responses/TooManyRequests"
    );
    assert_eq!(charged["500"]["$ref"], "#/components/responses/QuotaError");
    let health = &doc["paths"]["/v1/health"]["get"]["responses"];
    assert!(
        health.get("429").is_none(),
        "an exempt route is never charged"
    );
    assert!(health.get("500").is_none());
    // A public route never answers 503.
    assert!(health.get("503").is_none());
    let too_many = &doc["components"]["responses"]["TooManyRequests"];
    assert!(too_many["headers"]["Retry-After"].is_object());
    assert!(too_many["headers"]["RateLimit-Remaining"].is_object());
    assert!(
        health.get("401").is_none(),
        "a public route never answers 401"
    );

    // A proxy's header instead of a bearer token.
    std::fs::write(
        &config,
        "server:\n  auth:\n    provider_config:\n      type: upstream_header\n      principal_header: x-auth-user\n",
    )
    .unwrap();
    let out = demo(&["openapi", "--config", config.to_str().unwrap()]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["components"]["securitySchemes"]["upstream_header"],
        json!({"type": "apiKey", "in": "header", "name": "x-auth-user",
               "description": "The principal, set by the authenticating proxy in front of this server."})
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_document_is_served_without_credentials_when_configured() {
    let dir = std::env::temp_dir().join(format!("webmethod-openapi-d-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let demo_yaml = include_str!("../../examples/server.yaml");
    let config = dir.join("served.yaml");
    std::fs::write(
        &config,
        demo_yaml.replacen(
            "server:\n",
            "server:\n  openapi: {path: /openapi.json}\n",
            1,
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let server = Server::start(&["--config", config]);
    let client = reqwest::Client::new();
    let response = client
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served: Value = response.json().await.unwrap();
    let printed: Value =
        serde_json::from_slice(&demo(&["openapi", "--config", config]).stdout).unwrap();
    assert_eq!(served, printed);
    assert_eq!(served["paths"], golden()["paths"]);
    // Other routes keep their security.
    let whoami = client.get(server.url("/v1/whoami")).send().await.unwrap();
    assert_eq!(whoami.status(), 401);
    drop(server);

    // Off without the key: the path is an unmatched one (401 before 404).
    let server = Server::start(&[]);
    let response = client
        .get(server.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    drop(server);

    // A path a route serves, or not a path: the server refuses to start.
    for (path, said) in [
        ("/v1/health", "GET /v1/health"),
        ("openapi.json", "must be a fixed path"),
        ("/docs/{x}", "must be a fixed path"),
    ] {
        let bad = dir.join("bad.yaml");
        std::fs::write(
            &bad,
            demo_yaml.replacen(
                "server:\n",
                &format!("server:\n  openapi: {{path: \"{path}\"}}\n"),
                1,
            ),
        )
        .unwrap();
        let out = demo(&["--config", bad.to_str().unwrap(), "--port", "0"]);
        assert!(!out.status.success(), "{path}");
        let err = stderr(&out);
        assert!(err.contains("server.openapi.path"), "{path}: {err}");
        assert!(err.contains(said), "{path}: {err}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The callers of the demo: anonymous, each user, and a rejected token.
const CALLERS: [(&str, Option<&str>); 5] = [
    ("anonymous", None),
    ("admin", Some("demo-admin-key")),
    ("alice", Some("demo-user-key")),
    ("bob", Some("demo-bob-key")),
    ("bad token", Some("not-a-demo-key")),
];

/// Concrete values for each path parameter: ones that exist and ones that do not.
fn arguments(name: &str) -> &'static [&'static str] {
    match name {
        "model_id" => &["llama-3.2-3b", "all-minilm", "no-such-model"],
        "path" => &["readme.txt", "docs/guide.md", "missing.txt"],
        other => panic!("no test values for path parameter {other}"),
    }
}

/// Every URL of an operation's path template.
fn urls(template: &str) -> Vec<String> {
    let Some(start) = template.find('{') else {
        return vec![template.to_owned()];
    };
    let end = template[start..].find('}').unwrap() + start;
    let name = &template[start + 1..end];
    arguments(name)
        .iter()
        .flat_map(|value| {
            urls(&format!(
                "{}{value}{}",
                &template[..start],
                &template[end + 1..]
            ))
        })
        .collect()
}

/// The request bodies sent to an operation with a body: valid, duplicate
/// and invalid ones.
fn bodies(caller: &str) -> Vec<Value> {
    vec![
        json!({"model_id": format!("model-of-{}", caller.replace(' ', "-"))}),
        json!({"model_id": "llama-3.2-3b"}),
        json!({"model_id": ""}),
        json!({"unknown_field": 1}),
    ]
}

/// Checks one answer against the operation: a listed status (or its class,
/// or `default`), a listed content type, and a body its schema accepts.
fn check_answer(
    doc: &Value,
    operation: &Value,
    what: &str,
    status: u16,
    headers: &reqwest::header::HeaderMap,
    body: &[u8],
) {
    let content_type = headers.get("content-type").map(|v| v.to_str().unwrap());
    let responses = &operation["responses"];
    let class = format!("{}XX", status / 100);
    let response = responses
        .get(status.to_string())
        .or_else(|| responses.get(&class))
        .or_else(|| responses.get("default"))
        .unwrap_or_else(|| {
            panic!("{what}: answered {status}, which the document does not list: {responses}")
        });
    // A shared response of `components.responses`.
    let response = match response["$ref"].as_str() {
        Some(reference) => {
            let name = reference.strip_prefix("#/components/responses/").unwrap();
            &doc["components"]["responses"][name]
        }
        None => response,
    };
    for (name, header) in response
        .get("headers")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if header["required"] == json!(true) {
            assert!(
                headers.contains_key(name.as_str()),
                "{what}: {status} without {name}"
            );
        }
    }
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        assert!(
            body.is_empty(),
            "{what}: {status} has no content in the document, but a body"
        );
        return;
    };
    let media = content_type
        .map(|c| c.split(';').next().unwrap().trim())
        .unwrap_or_else(|| panic!("{what}: {status} without a content type"));
    let Some(entry) = content.get(media) else {
        panic!(
            "{what}: {status} answered {media}, the document lists {:?}",
            content.keys()
        );
    };
    if media == "application/json" {
        let instance: Value =
            serde_json::from_slice(body).unwrap_or_else(|e| panic!("{what}: not JSON ({e})"));
        // The schema, with the document's components beside it so that its
        // `#/components/schemas/..` references resolve.
        let schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": doc["components"],
            "allOf": [entry["schema"]],
        });
        let validator = jsonschema::draft202012::new(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: {status} body {instance} does not match: {errors:?}"
        );
    }
}

#[tokio::test]
async fn every_answer_of_every_demo_route_is_one_the_document_lists() {
    let doc = golden();
    let server = Server::start(&[]);
    let client = reqwest::Client::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut answers = 0;
    // Deletes last: the other operations see the models that exist at start.
    let mut operations: Vec<(String, String, Value)> = Vec::new();
    for (template, ops) in doc["paths"].as_object().unwrap() {
        for (method, operation) in ops.as_object().unwrap() {
            operations.push((method.to_uppercase(), template.clone(), operation.clone()));
        }
    }
    operations.sort_by_key(|(method, _, _)| method == "DELETE");
    for (method, template, operation) in &operations {
        for url in urls(template) {
            for (caller, token) in CALLERS {
                let with_body = operation.get("requestBody").is_some();
                let sent: Vec<Option<Value>> = if with_body {
                    bodies(caller).into_iter().map(Some).collect()
                } else {
                    vec![None]
                };
                for body in sent {
                    let mut request = client.request(method.parse().unwrap(), server.url(&url));
                    if let Some(token) = token {
                        request = request.bearer_auth(token);
                    }
                    if let Some(body) = &body {
                        request = request.json(body);
                    }
                    let response = request.send().await.unwrap();
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    let bytes = response.bytes().await.unwrap();
                    let what = format!("{method} {url} as {caller} with {body:?}");
                    check_answer(&doc, operation, &what, status, &headers, &bytes);
                    seen.insert((
                        operation["operationId"].as_str().unwrap().to_owned(),
                        status,
                    ));
                    answers += 1;
                }
            }
        }
    }
    // The run saw the answers worth checking, not only one kind.
    for expected in [
        ("health", 200),
        ("whoami", 401),
        ("whoami", 200),
        ("register_model", 200),
        ("register_model", 403),
        ("register_model", 409),
        ("register_model", 400),
        ("register_model", 422),
        ("get_model", 404),
        ("get_file", 403),
        ("get_file", 200),
        ("delete_model", 204),
    ] {
        assert!(
            seen.contains(&(expected.0.to_owned(), expected.1)),
            "never saw {expected:?}; saw {seen:?}"
        );
    }
    assert!(answers > 90, "{answers} answers checked");
}
