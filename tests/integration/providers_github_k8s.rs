//! The `github_token` and `kubernetes` providers end to end: a real server on
//! 127.0.0.1 whose provider calls a real stand-in GitHub API or Kubernetes API
//! server (one over TLS with a test CA) on another port.

use std::sync::{Arc, Mutex};

use auth_runtime::{AuthenticatedUser, webmethod};
use axum::Json;
use axum::extract::{OriginalUri, Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

#[webmethod(
    route = "/ghk8s-ping",
    method = "GET",
    level = "v1",
    require_authentication = false
)]
async fn ping() -> Json<Value> {
    Json(json!({"status": "OK"}))
}

#[webmethod(route = "/ghk8s-whoami", method = "GET", level = "v1")]
async fn whoami(user: AuthenticatedUser) -> Json<Value> {
    Json(json!({"principal": user.principal, "attributes": user.attributes}))
}

const GITHUB_REJECTED: &str =
    "GitHub token validation failed. Please check your token and try again.";
const GITHUB_HINT: &str = "Authentication required. Please provide a valid GitHub access token (https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens) in the Authorization header (Bearer <token>)";
const REVIEW_PATH: &str = "/apis/authentication.k8s.io/v1/selfsubjectreviews";

/// One request a stand-in received.
#[derive(Debug, Clone)]
struct Seen {
    /// Path and query, as sent.
    target: String,
    authorization: String,
    accept: String,
    content_type: String,
    body: Value,
}

/// What a stand-in received, in order.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Seen>>>);

impl Recorder {
    fn record(&self, uri: &Uri, headers: &HeaderMap, body: Value) -> String {
        let header = |name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let authorization = header("authorization");
        self.0.lock().unwrap().push(Seen {
            target: uri.path_and_query().unwrap().to_string(),
            authorization: authorization.clone(),
            accept: header("accept"),
            content_type: header("content-type"),
            body,
        });
        authorization
            .strip_prefix("Bearer ")
            .unwrap_or_default()
            .to_owned()
    }

    fn seen(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }

    fn targets(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.target).collect()
    }
}

// ---------------------------------------------------------------- GitHub API

/// The GitHub API's `/user` for a token, or `None` for a bad token.
fn github_user(token: &str) -> Option<Response> {
    let user = |login: &str, id: u64| {
        Some(Json(json!({"login": login, "id": id, "type": "User"})).into_response())
    };
    match token {
        "gh-malformed" => Some((StatusCode::OK, "{login: not json").into_response()),
        "gh-no-login" => Some(Json(json!({"id": 5})).into_response()),
        "gh-user-502" => Some((StatusCode::BAD_GATEWAY, "upstream down").into_response()),
        "gh-mapped" => user("octo-mapped", 4242),
        t if t.starts_with("gh-") => user(&format!("octo-{}", &t[3..]), 1),
        _ => None,
    }
}

/// The organisations of a token: all of them, and a page that fails if any.
fn github_orgs(token: &str) -> (Vec<String>, Option<u32>) {
    let names = |n: usize| (0..n).map(|i| format!("org-{i:03}")).collect();
    match token {
        "gh-one" | "gh-mapped" | "gh-flaky" => (vec!["acme".into()], None),
        "gh-many" => (names(150), None),
        "gh-dup" => (vec!["acme".into(), "beta".into(), "acme".into()], None),
        "gh-orgs-fail" => (names(5), Some(1)),
        "gh-partial" => (names(150), Some(2)),
        _ => (Vec::new(), None),
    }
}

#[derive(serde::Deserialize)]
struct Page {
    per_page: usize,
    page: usize,
}

async fn gh_user(
    State(r): State<Recorder>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Response {
    let token = r.record(&uri, &headers, Value::Null);
    github_user(&token).unwrap_or_else(|| {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Bad credentials"})),
        )
            .into_response()
    })
}

async fn gh_orgs(
    State(r): State<Recorder>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    Query(Page { per_page, page }): Query<Page>,
) -> Response {
    let token = r.record(&uri, &headers, Value::Null);
    if token == "gh-endless" {
        // A hostile API: every page is full, forever.
        let items: Vec<Value> = (0..per_page)
            .map(|i| json!({"login": format!("loop-{i}")}))
            .collect();
        return Json(items).into_response();
    }
    let (orgs, failing) = github_orgs(&token);
    // A flaky API: the first call for this token fails, the next one works.
    let calls = r
        .seen()
        .iter()
        .filter(|s| s.authorization == "Bearer gh-flaky")
        .count();
    if token == "gh-flaky" && calls == 2 {
        return (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response();
    }
    if failing == Some(page as u32) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response();
    }
    let items: Vec<Value> = orgs
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|o| json!({"login": o, "id": 7, "url": "https://api.github.com/orgs/x"}))
        .collect();
    Json(items).into_response()
}

/// Starts the stand-in GitHub API (mounted under `/api/v3`, as GitHub
/// Enterprise is); returns its base URL.
async fn start_github() -> (String, Recorder) {
    let recorder = Recorder::default();
    let api = axum::Router::new()
        .route("/user", axum::routing::get(gh_user))
        .route("/user/orgs", axum::routing::get(gh_orgs))
        .with_state(recorder.clone());
    let app = axum::Router::new().nest("/api/v3", api);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/api/v3"), recorder)
}

async fn github_server(base_url: &str, extra: &str) -> String {
    start_server(&format!(
        "server:\n  auth:\n    cache: {{enabled: false}}\n    provider_config:\n      type: github_token\n      github_api_base_url: {base_url}\n      timeout: 2\n{extra}"
    ))
    .await
}

// ---------------------------------------------------------- Kubernetes API

async fn review(
    State(r): State<Recorder>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let token = r.record(
        &uri,
        &headers,
        serde_json::from_str(&body).unwrap_or(Value::Null),
    );
    let answer = |status: StatusCode, user_info: Value| {
        let review = json!({
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "SelfSubjectReview",
            "metadata": {"creationTimestamp": null},
            "status": {"userInfo": user_info}
        });
        (status, Json(review)).into_response()
    };
    let service_account = json!({
        "username": "system:serviceaccount:ml:trainer",
        "uid": "5b3c",
        "groups": ["system:serviceaccounts", "system:serviceaccounts:ml", "system:authenticated"]
    });
    // The tokens share no 8-character piece with the messages the tests
    // expect: any such piece of a token is redacted from a message.
    match token.as_str() {
        t if t.starts_with("k8s-sa") => answer(StatusCode::CREATED, service_account),
        "k8s-200" => answer(StatusCode::OK, service_account),
        "k8s-no-user" => answer(StatusCode::CREATED, json!({"groups": ["system:authenticated"]})),
        "k8s-error" => (StatusCode::INTERNAL_SERVER_ERROR, "etcd is sad").into_response(),
        "k8s-503" => (StatusCode::SERVICE_UNAVAILABLE, "not now").into_response(),
        "k8s-forbidden" => (StatusCode::FORBIDDEN, "no reviews for you").into_response(),
        _ => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"kind": "Status", "status": "Failure", "reason": "Unauthorized", "code": 401})),
        )
            .into_response(),
    }
}

fn kube_app(recorder: &Recorder) -> axum::Router {
    axum::Router::new()
        .route(REVIEW_PATH, axum::routing::post(review))
        .with_state(recorder.clone())
}

/// Starts the stand-in API server over plain HTTP; returns its URL.
async fn start_kube() -> (String, Recorder) {
    let recorder = Recorder::default();
    let app = kube_app(&recorder);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), recorder)
}

/// A test CA, and a server certificate and key it signed for 127.0.0.1 and localhost (PEM).
fn test_pki() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "webmethod test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut server =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    server
        .distinguished_name
        .push(DnType::CommonName, "kubernetes");
    let cert = server.signed_by(&key, &issuer).unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

/// Starts the stand-in API server over TLS; returns its URL and the CA's PEM.
async fn start_kube_tls() -> (String, String, Recorder) {
    let (ca, cert, key) = test_pki();
    let config =
        axum_server::tls_rustls::RustlsConfig::from_pem(cert.into_bytes(), key.into_bytes())
            .await
            .unwrap();
    let recorder = Recorder::default();
    let app = kube_app(&recorder);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = axum_server::from_tcp_rustls(listener, config).unwrap();
    tokio::spawn(async move { server.serve(app.into_make_service()).await });
    (format!("https://{addr}"), ca, recorder)
}

async fn kube_server(api_server_url: &str, extra: &str) -> String {
    start_server(&format!(
        "server:\n  auth:\n    cache: {{enabled: false}}\n    provider_config:\n      type: kubernetes\n      api_server_url: {api_server_url}\n      timeout: 2\n{extra}"
    ))
    .await
}

// ------------------------------------------------------------------ helpers

/// Serves this module's routes with the security stack of `yaml`.
async fn start_server(yaml: &str) -> String {
    crate::support::serve_module(module_path!(), yaml).await
}

/// A URL on which nothing listens.
fn dead_url() -> String {
    format!("http://{}", crate::support::refused_address())
}

/// GET `path` with `Authorization: Bearer <token>` when a token is given.
async fn get(base: &str, path: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new().get(format!("{base}{path}"));
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn whoami_as(base: &str, token: &str) -> (u16, Value) {
    get(base, "/v1/ghk8s-whoami", Some(token)).await
}

/// The 401/503 message.
fn error_message(body: &Value) -> String {
    body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message in {body}"))
        .to_owned()
}

/// The 401/503 message for a request with `token`; it never holds the token.
fn message(body: &Value, token: &str) -> String {
    let message = error_message(body);
    assert!(!message.contains(token), "{message}");
    message
}

fn org_page(page: u32) -> String {
    format!("/api/v3/user/orgs?per_page=100&page={page}")
}

// ----------------------------------------------------------- GitHub tests

#[tokio::test]
async fn github_user_without_organizations() {
    let (api, recorder) = start_github().await;
    let base = github_server(&api, "").await;

    let (status, body) = whoami_as(&base, "gh-zero").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"principal": "octo-zero", "attributes": {"roles": ["octo-zero"], "teams": []}})
    );
    let seen = recorder.seen();
    assert_eq!(recorder.targets(), ["/api/v3/user".to_owned(), org_page(1)]);
    for s in &seen {
        assert_eq!(s.authorization, "Bearer gh-zero");
        assert_eq!(s.accept, "application/vnd.github.v3+json");
    }
}

#[tokio::test]
async fn github_user_with_one_organization() {
    let (api, recorder) = start_github().await;
    // A trailing slash on the base URL does not double.
    let base = github_server(&format!("{api}/"), "").await;

    let (status, body) = whoami_as(&base, "gh-one").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"principal": "octo-one", "attributes": {"roles": ["octo-one"], "teams": ["acme"]}})
    );
    assert_eq!(recorder.targets(), ["/api/v3/user".to_owned(), org_page(1)]);
}

#[tokio::test]
async fn github_150_organizations_take_two_pages() {
    let (api, recorder) = start_github().await;
    let base = github_server(&api, "").await;

    let (status, body) = whoami_as(&base, "gh-many").await;
    assert_eq!(status, 200, "{body}");
    let expected: Vec<String> = (0..150).map(|i| format!("org-{i:03}")).collect();
    assert_eq!(body["attributes"]["teams"], json!(expected));
    assert_eq!(body["attributes"]["roles"], json!(["octo-many"]));
    // Page 2 held 50 (< 100): no page 3.
    assert_eq!(
        recorder.targets(),
        ["/api/v3/user".to_owned(), org_page(1), org_page(2)]
    );
}

#[tokio::test]
async fn github_duplicate_organizations_are_dropped() {
    let (api, _) = start_github().await;
    let base = github_server(&api, "").await;

    let (status, body) = whoami_as(&base, "gh-dup").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["attributes"]["teams"], json!(["acme", "beta"]));
}

#[tokio::test]
async fn github_rejected_token_is_401() {
    let (api, recorder) = start_github().await;
    let base = github_server(&api, "").await;

    let (status, body) = whoami_as(&base, "ghp_not-a-real-token").await;
    assert_eq!(status, 401);
    assert_eq!(message(&body, "ghp_not-a-real-token"), GITHUB_REJECTED);
    // No organisations are asked for a rejected token.
    assert_eq!(recorder.targets(), ["/api/v3/user"]);

    let (status, body) = get(&base, "/v1/ghk8s-whoami", None).await;
    assert_eq!(status, 401);
    assert_eq!(error_message(&body), GITHUB_HINT);
    assert_eq!(recorder.targets().len(), 1, "no token, no call");
}

#[tokio::test]
async fn github_public_route_makes_no_call() {
    let (api, recorder) = start_github().await;
    let base = github_server(&api, "").await;
    let (status, body) = get(&base, "/v1/ghk8s-ping", None).await;
    assert_eq!((status, body), (200, json!({"status": "OK"})));
    assert!(recorder.seen().is_empty());
}

#[tokio::test]
async fn github_bad_user_answers_are_401() {
    let (api, _) = start_github().await;
    let base = github_server(&api, "").await;

    for token in ["gh-malformed", "gh-no-login"] {
        let (status, body) = whoami_as(&base, token).await;
        assert_eq!(status, 401, "{token}: {body}");
        let message = message(&body, token);
        assert!(
            message.starts_with("GitHub token validation failed"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn github_failing_organizations_are_503_never_a_partial_user() {
    let (api, recorder) = start_github().await;
    let base = github_server(&api, "").await;

    // The first page fails, twice: no user with fewer organisations (a
    // `not in teams` rule would let it through), and nothing cached.
    let (status, body) = whoami_as(&base, "gh-orgs-fail").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        message(&body, "gh-orgs-fail"),
        "Authentication service unavailable"
    );
    assert_eq!(
        recorder.targets(),
        ["/api/v3/user".to_owned(), org_page(1), org_page(1)]
    );

    // The second page fails: the first page's 100 are not enough.
    let (status, body) = whoami_as(&base, "gh-partial").await;
    assert_eq!(status, 503, "{body}");
    let targets = recorder.targets();
    assert_eq!(targets[targets.len() - 2..], [org_page(2), org_page(2)]);

    // One failure is asked again, and the user gets through.
    let (status, body) = whoami_as(&base, "gh-flaky").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["attributes"]["teams"], json!(["acme"]));

    // `/user` answering 5xx is an outage too.
    let (status, body) = whoami_as(&base, "gh-user-502").await;
    assert_eq!(status, 503, "{body}");
}

#[tokio::test]
async fn github_endless_organizations_stop_after_100_pages() {
    let (api, recorder) = start_github().await;
    let base = github_server(&api, "").await;

    let (status, body) = whoami_as(&base, "gh-endless").await;
    assert_eq!(status, 503, "{body}");
    let targets = recorder.targets();
    assert_eq!(targets.len(), 1 + 100);
    assert_eq!(targets.last().unwrap(), &org_page(100));
}

#[tokio::test]
async fn github_claims_mapping_sees_the_id_as_a_string() {
    let (api, _) = start_github().await;
    let mapping = "      claims_mapping:\n        id: ids\n        organizations: projects\n";
    let base = github_server(&api, mapping).await;

    let (status, body) = whoami_as(&base, "gh-mapped").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"principal": "octo-mapped", "attributes": {"ids": ["4242"], "projects": ["acme"]}})
    );
}

#[tokio::test]
async fn github_api_down_is_503() {
    let base = github_server(&dead_url(), "").await;
    let (status, body) = whoami_as(&base, "gh-down").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        message(&body, "gh-down"),
        "Authentication service unavailable"
    );
}

// ------------------------------------------------------- Kubernetes tests

#[tokio::test]
async fn kubernetes_review_gives_principal_and_roles() {
    let (api, recorder) = start_kube().await;
    // A trailing slash on the API server URL does not double.
    let base = kube_server(&format!("{api}/"), "").await;

    let (status, body) = whoami_as(&base, "k8s-sa-1").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({
            "principal": "system:serviceaccount:ml:trainer",
            "attributes": {"roles": [
                "system:serviceaccounts",
                "system:serviceaccounts:ml",
                "system:authenticated",
                "system:serviceaccount:ml:trainer"
            ]}
        })
    );
    let seen = recorder.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].target, REVIEW_PATH);
    assert_eq!(seen[0].authorization, "Bearer k8s-sa-1");
    assert_eq!(seen[0].content_type, "application/json");
    assert_eq!(
        seen[0].body,
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    );
}

#[tokio::test]
async fn kubernetes_claims_mapping_applies_to_user_info() {
    let (api, _) = start_kube().await;
    let mapping =
        "      claims_mapping:\n        username: roles\n        groups: teams\n        uid: ids\n";
    let base = kube_server(&api, mapping).await;

    let (status, body) = whoami_as(&base, "k8s-sa-2").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["attributes"]["roles"],
        json!(["system:serviceaccount:ml:trainer"])
    );
    assert_eq!(body["attributes"]["ids"], json!(["5b3c"]));
    assert_eq!(body["attributes"]["teams"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn kubernetes_refusals_are_401() {
    let (api, recorder) = start_kube().await;
    let base = kube_server(&api, "").await;

    let cases = [
        ("k8s-invalid", "Invalid token"),
        ("k8s-forbidden", "Token validation failed: 403"),
        // Only 201 Created is a review.
        ("k8s-200", "Token validation failed: 200"),
        (
            "k8s-no-user",
            "Token validation error: No username found in SelfSubjectReview response",
        ),
    ];
    for (token, expected) in cases {
        let (status, body) = whoami_as(&base, token).await;
        assert_eq!(status, 401, "{token}: {body}");
        assert_eq!(message(&body, token), expected, "{token}");
    }
    assert_eq!(recorder.seen().len(), cases.len());

    let (status, body) = get(&base, "/v1/ghk8s-whoami", None).await;
    assert_eq!(status, 401);
    assert_eq!(
        error_message(&body),
        format!("Authentication required. Please provide a valid Kubernetes token for {api}")
    );
}

#[tokio::test]
async fn kubernetes_api_server_failing_is_503_and_not_cached() {
    let (api, recorder) = start_kube().await;
    let base = start_server(&format!(
        "server:\n  auth:\n    cache: {{enabled: true, failure_ttl: 60}}\n    provider_config:\n      type: kubernetes\n      api_server_url: {api}\n"
    ))
    .await;
    for token in ["k8s-error", "k8s-error", "k8s-503"] {
        let (status, body) = whoami_as(&base, token).await;
        assert_eq!(status, 503, "{token}: {body}");
        assert_eq!(message(&body, token), "Authentication service unavailable");
    }
    assert_eq!(recorder.seen().len(), 3, "outages are never cached");
    // A 4xx is a verdict on the token: cached.
    for _ in 0..2 {
        assert_eq!(whoami_as(&base, "k8s-forbidden").await.0, 401);
    }
    assert_eq!(recorder.seen().len(), 4);
}

#[tokio::test]
async fn kubernetes_api_server_down_is_503() {
    let base = kube_server(&dead_url(), "").await;
    let (status, body) = whoami_as(&base, "k8s-sa-down").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        message(&body, "k8s-sa-down"),
        "Authentication service unavailable"
    );
}

#[tokio::test]
async fn kubernetes_over_tls_with_a_test_ca() {
    let (api, ca, recorder) = start_kube_tls().await;
    let ca_file = std::env::temp_dir().join(format!(
        "webmethod-test-ca-{}-{}.pem",
        std::process::id(),
        api.rsplit(':').next().unwrap()
    ));
    std::fs::write(&ca_file, &ca).unwrap();

    // Trusting the test CA: the review goes through.
    let trusted = kube_server(&api, &format!("      tls_cafile: {}\n", ca_file.display())).await;
    let (status, body) = whoami_as(&trusted, "k8s-sa-tls-ca").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["principal"], "system:serviceaccount:ml:trainer");
    assert_eq!(recorder.seen().len(), 1);
    assert_eq!(recorder.seen()[0].authorization, "Bearer k8s-sa-tls-ca");

    // The system's roots do not know the test CA: the handshake fails, so the
    // API server is unreachable for us (503), never a success.
    let system = kube_server(&api, "").await;
    let (status, body) = whoami_as(&system, "k8s-sa-tls-system").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        message(&body, "k8s-sa-tls-system"),
        "Authentication service unavailable"
    );
    assert_eq!(
        recorder.seen().len(),
        1,
        "no request got past the handshake"
    );

    // verify_tls: false accepts any certificate.
    let unverified = kube_server(&api, "      verify_tls: false\n").await;
    let (status, body) = whoami_as(&unverified, "k8s-sa-tls-off").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(recorder.seen().len(), 2);

    std::fs::remove_file(&ca_file).unwrap();
}
