//! The examples an engineer copies from do what their doc comments say:
//! a custom provider, a custom guard, `ProtectedResource` with `Access`.

use serde_json::Value;

use crate::demo_server::Server;

async fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = reqwest::Client::new().get(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let answer = request.send().await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test]
async fn custom_provider_accepts_live_sessions_only() {
    let server = Server::start_example("custom_provider", &[]);
    let ann = get(
        &server,
        "/v1/me",
        &[("authorization", "Bearer session-ann")],
    )
    .await;
    assert_eq!(ann, (200, "ann\n".to_owned()));
    let (status, body) = get(
        &server,
        "/v1/me",
        &[("authorization", "Bearer session-old")],
    )
    .await;
    assert_eq!(status, 401);
    assert!(
        body.contains("Session expired") && !body.contains("session-old"),
        "{body}"
    );
    let (status, body) = get(&server, "/v1/me", &[]).await;
    assert_eq!(status, 401);
    assert!(body.contains("Sign in"), "{body}");
}

#[tokio::test]
async fn guard_checks_the_tenant_header_after_authentication() {
    let server = Server::start_example("guard", &[]);
    let key = ("authorization", "Bearer key-ann");
    assert_eq!(
        get(&server, "/v1/orders", &[key, ("x-tenant", "acme")])
            .await
            .0,
        200
    );
    assert_eq!(
        get(&server, "/v1/orders", &[key, ("x-tenant", "other")])
            .await
            .0,
        403
    );
    assert_eq!(get(&server, "/v1/orders", &[key]).await.0, 403);
    // Authentication runs first: no key, 401 whatever the header says.
    assert_eq!(
        get(&server, "/v1/orders", &[("x-tenant", "acme")]).await.0,
        401
    );
}

#[tokio::test]
async fn protected_resource_filters_and_checks_per_caller() {
    let server = Server::start_example("protected_resource", &[]);
    let ids = |body: &str| -> Vec<String> {
        let list: Value = serde_json::from_str(body).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (status, body) = get(
        &server,
        "/v1/documents",
        &[("authorization", "Bearer key-ann")],
    )
    .await;
    assert_eq!(
        (status, ids(&body)),
        (200, vec!["plan".to_owned(), "handbook".to_owned()])
    );
    let (_, body) = get(
        &server,
        "/v1/documents",
        &[("authorization", "Bearer key-bob")],
    )
    .await;
    assert_eq!(ids(&body), ["handbook"]);
    let bob_plan = get(
        &server,
        "/v1/documents/plan",
        &[("authorization", "Bearer key-bob")],
    )
    .await;
    assert_eq!(bob_plan.0, 403);
    let ann_plan = get(
        &server,
        "/v1/documents/plan",
        &[("authorization", "Bearer key-ann")],
    )
    .await;
    assert_eq!(ann_plan.0, 200);
    let none = get(
        &server,
        "/v1/documents/none",
        &[("authorization", "Bearer key-ann")],
    )
    .await;
    assert_eq!(none.0, 404);
}
