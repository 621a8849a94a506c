//! `auth_runtime::testing`, used as an app's own tests would use it: the
//! app's handlers under its config, requests as users, with keys and with
//! tokens of a test issuer found by discovery.

use auth_runtime::authz::{Access, Action, Resource};
use auth_runtime::testing::{TestApp, TestIssuer, user};
use auth_runtime::{ApiError, AuthenticatedUser, webmethod};
use serde_json::{Value, json};

#[webmethod(
    route = "/kit/notes",
    method = "GET",
    level = "v1",
    required_scope = "notes.read"
)]
async fn notes(user: AuthenticatedUser) -> String {
    format!("notes of {}", user.principal)
}

#[webmethod(route = "/kit/admin", method = "GET", level = "v1")]
async fn admin() -> &'static str {
    "admin"
}

#[webmethod(route = "/kit/shared/{id}", method = "DELETE", level = "v1")]
async fn delete_shared(access: Access) -> Result<&'static str, ApiError> {
    access.check(Action::Delete, &Resource::new("note", "shared", None))?;
    Ok("deleted")
}

#[webmethod(
    route = "/kit/echo",
    method = "POST",
    level = "v1",
    require_authentication = false
)]
async fn echo(axum::Json(body): axum::Json<Value>) -> axum::Json<Value> {
    axum::Json(json!({"echo": body}))
}

const CONFIG: &str = r#"
server:
  auth:
    provider_config:
      type: api_keys
      keys:
        - {key: ann-key, principal: ann, attributes: {scopes: [notes.read]}}
    route_policy:
      - forbid: {paths: "/v1/kit/admin"}
        unless: user with admin in roles
      - permit: {paths: "*"}
    access_policy:
      - permit: {actions: [delete]}
        when: user with editor in roles
"#;

fn app(config: &str) -> TestApp {
    TestApp::builder()
        .config(config)
        .module(module_path!())
        .build()
        .unwrap()
}

#[tokio::test]
async fn requests_as_users_go_through_scope_and_policies() {
    let app = app(CONFIG);
    let anonymous = app.get("/v1/kit/notes").send().await;
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.header("www-authenticate").is_some());

    let reader = user("cid", &[("scopes", &["notes.read"])]);
    let answer = app.get("/v1/kit/notes").as_user(reader).send().await;
    assert_eq!(
        (answer.status.as_u16(), answer.text().as_str()),
        (200, "notes of cid")
    );

    let no_scope = app
        .get("/v1/kit/notes")
        .as_user(user("dan", &[]))
        .send()
        .await;
    assert_eq!(no_scope.status, 403);
    assert!(no_scope.json::<Value>()["error"]["detail"].is_string());

    // The route policy and the access policy see the test user as any caller.
    let admin = user("eve", &[("roles", &["admin"])]);
    assert_eq!(
        app.get("/v1/kit/admin").as_user(admin).send().await.status,
        200
    );
    assert_eq!(
        app.get("/v1/kit/admin")
            .as_user(user("fay", &[]))
            .send()
            .await
            .status,
        403
    );
    let editor = user("gus", &[("roles", &["editor"])]);
    assert_eq!(
        app.delete("/v1/kit/shared/1")
            .as_user(editor)
            .send()
            .await
            .status,
        200
    );
    assert_eq!(
        app.delete("/v1/kit/shared/1")
            .as_user(user("hal", &[]))
            .send()
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn the_configured_provider_still_decides_real_tokens() {
    let app = app(CONFIG);
    let answer = app.get("/v1/kit/notes").token("ann-key").send().await;
    assert_eq!(answer.text(), "notes of ann");
    let bad = app.get("/v1/kit/notes").token("wrong-key").send().await;
    assert_eq!(bad.status, 401);
    // A forged test-user token is not a test user.
    let forged = app
        .get("/v1/kit/notes")
        .token("webmethod-test-user-999")
        .send()
        .await;
    assert_eq!(forged.status, 401);
    // Bodies and public routes.
    let echoed = app.post("/v1/kit/echo").json(&json!({"a": 1})).send().await;
    assert_eq!(echoed.json::<Value>(), json!({"echo": {"a": 1}}));
}

#[tokio::test]
async fn a_test_issuer_is_found_by_discovery() {
    let issuer = TestIssuer::start().await;
    let config = format!(
        "server:\n  auth:\n    provider_config:\n      type: oauth2_token\n      issuer: {}\n      audience: notes-api\n      claims_mapping: {{sub: roles, scope: scopes}}\n",
        issuer.issuer()
    );
    let app = app(&config);
    let token = issuer.token(json!({"sub": "ivy", "aud": "notes-api", "scope": "notes.read"}));
    let answer = app.get("/v1/kit/notes").token(&token).send().await;
    assert_eq!(
        (answer.status.as_u16(), answer.text().as_str()),
        (200, "notes of ivy")
    );
    let other_audience = issuer.token(json!({"sub": "ivy", "aud": "other", "scope": "notes.read"}));
    assert_eq!(
        app.get("/v1/kit/notes")
            .token(&other_audience)
            .send()
            .await
            .status,
        401
    );
    // Test users work beside the issuer.
    let reader = user("jo", &[("scopes", &["notes.read"])]);
    assert_eq!(
        app.get("/v1/kit/notes").as_user(reader).send().await.status,
        200
    );
}

#[tokio::test]
async fn the_quota_sees_the_address_a_request_comes_from() {
    let config = format!(
        "{CONFIG}  quota:\n    kvstore: {{type: memory}}\n    anonymous_max_requests: 1\n    authenticated_max_requests: 100\n    period: day\n"
    );
    let app = app(&config);
    let from = |last: u8| std::net::SocketAddr::from(([192, 0, 2, last], 5000));
    assert_eq!(
        app.post("/v1/kit/echo")
            .json(&1)
            .from(from(1))
            .send()
            .await
            .status,
        200
    );
    let over = app.post("/v1/kit/echo").json(&1).from(from(1)).send().await;
    assert_eq!(over.status, 429);
    assert!(over.header("retry-after").is_some());
    assert_eq!(
        app.post("/v1/kit/echo")
            .json(&1)
            .from(from(2))
            .send()
            .await
            .status,
        200
    );
}
