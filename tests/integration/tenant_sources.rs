//! A tenant from every provider that reads one (issue 23): `oauth2_token`'s
//! `tenant_claim` (a JWT from the testing kit's issuer, an introspection
//! answer), `custom`'s `tenant_field`, `kubernetes`' `tenant_claim` and
//! `upstream_header`'s `tenant_header`, each against a real server on
//! 127.0.0.1, the tenant read back by a handler through `User::tenant()`.
//! Absent or blank is no tenant; malformed is a 401 that names the problem
//! and never repeats the value. Claim paths take `\.` for a dot inside a
//! segment, in `tenant_claim` and in `claims_mapping`.

use auth_runtime::testing::TestIssuer;
use auth_runtime::{AuthenticatedUser, webmethod};
use axum::Json;
use axum::http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

#[webmethod(route = "/tenant-sources/whoami", method = "GET", level = "v1")]
async fn whoami(user: AuthenticatedUser) -> Json<Value> {
    Json(json!({
        "principal": user.principal,
        "tenant": user.tenant(),
        "attributes": user.attributes,
    }))
}

async fn serve(yaml: &str) -> String {
    crate::support::serve_module(module_path!(), yaml).await
}

/// The status and JSON body of `GET /v1/tenant-sources/whoami` with these headers.
async fn whoami_with(base: &str, headers: HeaderMap) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{base}/v1/tenant-sources/whoami"))
        .headers(headers)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn whoami_as(base: &str, token: &str) -> (u16, Value) {
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::try_from(format!("Bearer {token}")).unwrap(),
    );
    whoami_with(base, headers).await
}

/// The 401 of a malformed tenant: its reason names the problem (`why`),
/// never the value (`value`), and never pretends there is no tenant.
fn assert_refused(status: u16, body: &Value, why: &str, value: &str) {
    assert_eq!(status, 401, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("Invalid tenant: ") && message.contains(why),
        "{message:?} should say {why:?}"
    );
    assert!(
        !body.to_string().contains(value),
        "the value {value:?} is repeated in {body}"
    );
}

// ------------------------------------------------------------------ JWT

#[tokio::test]
async fn jwt_tenant_claim_nested_with_an_escaped_dot() {
    let issuer = TestIssuer::start().await;
    // `https://acme\.example/claims` is one segment (a namespaced claim,
    // as Auth0 and others write them); `tenant` is nested under it. The
    // cache is on: the tenant is part of the user it keeps.
    let yaml = format!(
        "server:\n  auth:\n    provider_config:\n{}      tenant_claim: 'https://acme\\.example/claims.tenant'\n      claims_mapping: {{sub: roles, 'kubernetes\\.io.groups': teams}}\n",
        issuer.provider_yaml("llama-stack", 6)
    );
    let base = serve(&yaml).await;
    let token = |extra: Value| {
        let mut claims = json!({"sub": "alice", "aud": "llama-stack"});
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        issuer.token(claims)
    };

    let acme = token(json!({
        "https://acme.example/claims": {"tenant": " Acme "},
        "kubernetes.io": {"groups": ["ml", "nlp"]},
        "kubernetes": {"io": {"groups": ["not-this-one"]}}
    }));
    for _ in 0..2 {
        // The second answer comes from the validation cache.
        let (status, body) = whoami_as(&base, &acme).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["principal"], "alice");
        assert_eq!(body["tenant"], "acme");
        assert_eq!(body["attributes"]["teams"], json!(["ml", "nlp"]));
    }

    // The claim read literally, without the escape's nesting, is not it.
    for no_tenant in [
        json!({}),
        json!({"https://acme.example/claims": {}}),
        json!({"https://acme.example/claims": {"tenant": null}}),
        json!({"https://acme.example/claims": {"tenant": "   "}}),
        json!({"https://acme": {"example/claims": {"tenant": "acme"}}}),
    ] {
        let (status, body) = whoami_as(&base, &token(no_tenant.clone())).await;
        assert_eq!(status, 200, "{no_tenant}: {body}");
        assert_eq!(body["tenant"], Value::Null, "{no_tenant}");
    }

    let secret = "acme/../globex";
    let (status, body) = whoami_as(
        &base,
        &token(json!({"https://acme.example/claims": {"tenant": secret}})),
    )
    .await;
    assert_refused(status, &body, "may hold only", secret);
    let long = "t".repeat(129);
    let (status, body) = whoami_as(
        &base,
        &token(json!({"https://acme.example/claims": {"tenant": long}})),
    )
    .await;
    assert_refused(status, &body, "longer than 128", &long);
    let (status, body) = whoami_as(
        &base,
        &token(json!({"https://acme.example/claims": {"tenant": ["acme"]}})),
    )
    .await;
    assert_refused(status, &body, "not a string", "acme");
}

#[tokio::test]
async fn jwt_without_a_tenant_claim_configured_gives_no_tenant() {
    let issuer = TestIssuer::start().await;
    let yaml = format!(
        "server:\n  auth:\n    provider_config:\n{}",
        issuer.provider_yaml("llama-stack", 6)
    );
    let base = serve(&yaml).await;
    // Even a claim named `tenant`, even a malformed one: nothing reads it.
    for tenant in ["acme", "not a tenant!"] {
        let token = issuer.token(json!({"sub": "bob", "aud": "llama-stack", "tenant": tenant}));
        let (status, body) = whoami_as(&base, &token).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["tenant"], Value::Null);
    }
}

// -------------------------------------------------------- introspection

/// An introspection endpoint answering by the token: the answer is
/// `{"active": true, "sub": "carol", "org": <token's org>}`.
async fn start_introspection() -> String {
    async fn introspect(form: axum::extract::Form<Vec<(String, String)>>) -> Json<Value> {
        let token = form
            .0
            .iter()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        let org = match token {
            "intro-acme" => json!({"tenant": "ACME-eu_1"}),
            "intro-none" => json!({"name": "no tenant here"}),
            "intro-slash" => json!({"tenant": "acme/globex"}),
            "intro-number" => json!({"tenant": 42}),
            _ => return Json(json!({"active": false})),
        };
        Json(json!({"active": true, "sub": "carol", "org": org}))
    }
    let app = axum::Router::new().route("/introspect", axum::routing::post(introspect));
    format!("{}/introspect", crate::support::serve(app).await)
}

#[tokio::test]
async fn introspection_answer_gives_the_tenant() {
    let url = start_introspection().await;
    let base = serve(&format!(
        "server:\n  auth:\n    provider_config:\n      type: oauth2_token\n      tenant_claim: org.tenant\n      introspection: {{url: '{url}', client_id: webmethod, client_secret: s3cret}}\n"
    ))
    .await;

    let (status, body) = whoami_as(&base, "intro-acme").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["principal"], &body["tenant"]),
        (&json!("carol"), &json!("acme-eu_1"))
    );
    let (status, body) = whoami_as(&base, "intro-none").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tenant"], Value::Null);
    let (status, body) = whoami_as(&base, "intro-slash").await;
    assert_refused(status, &body, "may hold only", "globex");
    let (status, body) = whoami_as(&base, "intro-number").await;
    assert_refused(status, &body, "not a string", "42");
    assert_eq!(whoami_as(&base, "intro-unknown").await.0, 401);
}

// ---------------------------------------------------------------- custom

/// A `custom` endpoint answering by the key it is sent.
async fn start_custom() -> String {
    async fn validate(Json(request): Json<Value>) -> Json<Value> {
        let answer = |org: Value| json!({"principal": "dave", "attributes": {"roles": ["user"]}, "org": org});
        Json(match request["api_key"].as_str().unwrap_or_default() {
            "custom-globex" => answer(json!({"tenant_id": "Globex"})),
            "custom-none" => json!({"principal": "dave"}),
            "custom-blank" => answer(json!({"tenant_id": ""})),
            "custom-space" => answer(json!({"tenant_id": "glo bex"})),
            "custom-object" => answer(json!({"tenant_id": {"id": "globex"}})),
            _ => json!({"principal": "nobody-we-know"}),
        })
    }
    let app = axum::Router::new().route("/validate", axum::routing::post(validate));
    format!("{}/validate", crate::support::serve(app).await)
}

#[tokio::test]
async fn custom_endpoint_answer_gives_the_tenant_field() {
    let endpoint = start_custom().await;
    let base = serve(&format!(
        "server:\n  auth:\n    cache: {{enabled: false}}\n    provider_config:\n      type: custom\n      endpoint: {endpoint}\n      tenant_field: org.tenant_id\n"
    ))
    .await;

    let (status, body) = whoami_as(&base, "custom-globex").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tenant"], "globex");
    assert_eq!(body["attributes"]["roles"], json!(["user"]));
    for none in ["custom-none", "custom-blank"] {
        let (status, body) = whoami_as(&base, none).await;
        assert_eq!(status, 200, "{none}: {body}");
        assert_eq!(body["tenant"], Value::Null, "{none}");
    }
    let (status, body) = whoami_as(&base, "custom-space").await;
    assert_refused(status, &body, "may hold only", "glo bex");
    let (status, body) = whoami_as(&base, "custom-object").await;
    assert_refused(status, &body, "not a string", "globex");
}

// -------------------------------------------------------- upstream header

fn gateway(principal: &str, tenants: &[&[u8]]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-auth-user", HeaderValue::from_str(principal).unwrap());
    for tenant in tenants {
        headers.append("x-auth-tenant", HeaderValue::from_bytes(tenant).unwrap());
    }
    headers
}

#[tokio::test]
async fn upstream_tenant_header_once_twice_malformed_absent() {
    let base = serve(
        "server:\n  auth:\n    provider_config:\n      type: upstream_header\n      principal_header: x-auth-user\n      tenant_header: X-Auth-Tenant\n",
    )
    .await;

    let (status, body) = whoami_with(&base, gateway("erin", &[b" Initech "])).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["principal"], &body["tenant"]),
        (&json!("erin"), &json!("initech"))
    );
    for none in [&[][..], &[&b""[..]], &[&b"   "[..]]] {
        let (status, body) = whoami_with(&base, gateway("erin", none)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["tenant"], Value::Null);
    }

    // Two copies: one may be the client's, which the gateway did not strip.
    let (status, body) = whoami_with(&base, gateway("erin", &[b"initech", b"initrode"])).await;
    assert_refused(
        status,
        &body,
        "x-auth-tenant sent more than once",
        "initrode",
    );
    // Even two equal copies.
    let (status, body) = whoami_with(&base, gateway("erin", &[b"initech", b"initech"])).await;
    assert_refused(status, &body, "sent more than once", "initech");

    let (status, body) = whoami_with(&base, gateway("erin", &[b"init:tech"])).await;
    assert_refused(status, &body, "may hold only", "init:tech");
    let (status, body) = whoami_with(&base, gateway("erin", &[b"init\xe9tech"])).await;
    assert_refused(status, &body, "x-auth-tenant is not UTF-8", "tech");
}

// ------------------------------------------------------------ kubernetes

/// A stand-in API server answering a SelfSubjectReview by the token.
async fn start_kube() -> String {
    async fn review(headers: HeaderMap) -> (axum::http::StatusCode, Json<Value>) {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let extra = match token {
            "kube-acme" => json!({"tenant.example.com/id": ["Acme"], "teams": ["ml"]}),
            "kube-plain" => json!({"tenant.example.com/id": "acme"}),
            "kube-none" => json!({"teams": ["ml"]}),
            "kube-two" => json!({"tenant.example.com/id": ["acme", "globex"]}),
            "kube-bad" => json!({"tenant.example.com/id": ["ac me"]}),
            _ => {
                return (
                    axum::http::StatusCode::UNAUTHORIZED,
                    Json(json!({"kind": "Status", "code": 401})),
                );
            }
        };
        let review = json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "SelfSubjectReview",
            "status": {"userInfo": {
                "username": "system:serviceaccount:ml:trainer",
                "groups": ["system:authenticated"],
                "extra": extra
            }}
        });
        (axum::http::StatusCode::CREATED, Json(review))
    }
    let app = axum::Router::new().route(
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        axum::routing::post(review),
    );
    crate::support::serve(app).await
}

#[tokio::test]
async fn kubernetes_user_info_gives_the_tenant() {
    let api = start_kube().await;
    let base = serve(&format!(
        "server:\n  auth:\n    cache: {{enabled: false}}\n    provider_config:\n      type: kubernetes\n      api_server_url: {api}\n      tenant_claim: 'extra.tenant\\.example\\.com/id'\n      claims_mapping: {{username: roles, extra.teams: teams, 'extra.tenant\\.example\\.com/id': tenants}}\n"
    ))
    .await;

    let (status, body) = whoami_as(&base, "kube-acme").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tenant"], "acme");
    assert_eq!(body["attributes"]["teams"], json!(["ml"]));
    assert_eq!(body["attributes"]["tenants"], json!(["Acme"]));
    // `extra` values are lists; a plain string is taken too.
    let (status, body) = whoami_as(&base, "kube-plain").await;
    assert_eq!((status, &body["tenant"]), (200, &json!("acme")), "{body}");
    let (status, body) = whoami_as(&base, "kube-none").await;
    assert_eq!((status, &body["tenant"]), (200, &Value::Null), "{body}");
    // Two tenants: not a choice between them.
    let (status, body) = whoami_as(&base, "kube-two").await;
    assert_refused(status, &body, "a list of one string", "globex");
    let (status, body) = whoami_as(&base, "kube-bad").await;
    assert_refused(status, &body, "may hold only", "ac me");
}

// ---------------------------------------------------------------- config

/// The errors of checking the config `yaml` (`(path, message)` of each).
fn check_errors(yaml: &str) -> Vec<(String, String)> {
    let config = auth_runtime::config::Config::parse(yaml, "test", &|_| None)
        .unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    match auth_runtime::Settings::from_config(&config) {
        Ok(_) => panic!("accepted:\n{yaml}"),
        Err(errors) => errors
            .iter()
            .map(|e| (e.path().unwrap_or("<none>").to_owned(), e.to_string()))
            .collect(),
    }
}

#[test]
fn an_empty_tenant_source_is_refused_naming_the_field() {
    let api_keys = "{type: api_keys, keys: [{key: k, principal: p}]}";
    let cases = [
        (
            "{type: oauth2_token, jwks: {uri: 'https://issuer.test/jwks'}, tenant_claim: ''}",
            "tenant_claim",
            "is empty",
        ),
        (
            "{type: custom, endpoint: 'http://127.0.0.1:1/validate', tenant_field: '  '}",
            "tenant_field",
            "is empty",
        ),
        (
            "{type: kubernetes, tenant_claim: ''}",
            "tenant_claim",
            "is empty",
        ),
        (
            "{type: upstream_header, principal_header: x-user, tenant_header: ''}",
            "tenant_header",
            "not a valid header name",
        ),
        (
            "{type: upstream_header, principal_header: x-user, tenant_header: 'x tenant'}",
            "tenant_header",
            "not a valid header name",
        ),
    ];
    for (provider, field, why) in cases {
        let alone = format!("server:\n  auth:\n    provider_config: {provider}\n");
        let several =
            format!("server:\n  auth:\n    providers:\n      - {api_keys}\n      - {provider}\n");
        for (yaml, path) in [
            (alone, format!("server.auth.provider_config.{field}")),
            (several, format!("server.auth.providers[1].{field}")),
        ] {
            if provider.contains("upstream_header") && yaml.contains("providers:") {
                // upstream_header is only ever alone.
                continue;
            }
            let errors = check_errors(&yaml);
            assert_eq!(errors.len(), 1, "{yaml}\n{errors:#?}");
            assert_eq!(errors[0].0, path, "{yaml}\n{errors:#?}");
            assert!(
                errors[0].1.starts_with(&format!("config field `{path}`: "))
                    && errors[0].1.contains(why),
                "{errors:#?}"
            );
        }
    }
}
