//! Identity for real deployments, against a standards-conformant issuer of
//! our own on 127.0.0.1 (OIDC discovery document, JWKS, RFC 7662
//! introspection): discovery, several providers on one server and how a token
//! finds its provider, audience and issuer lists, typed claims.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use auth_runtime::{AuthenticatedUser, ClaimsError, webmethod};
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::{Json, Router};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Profile {
    email: String,
}

/// The caller, the provider that accepted it, and its claims as a type of
/// the handler's own.
#[webmethod(route = "/identity/whoami", method = "GET", level = "v1")]
async fn identity_whoami(user: AuthenticatedUser) -> Json<Value> {
    let email = match user.claims::<Profile>() {
        Ok(profile) => json!(profile.email),
        Err(ClaimsError::NoClaims) => json!("no claims"),
        Err(e) => json!(format!("error: {e}")),
    };
    Json(json!({
        "principal": user.principal,
        "provider": user.provider.as_deref(),
        "email": email,
    }))
}

/// An issuer: discovery at `/.well-known/openid-configuration`, keys at
/// `/jwks`, introspection at `/introspect`, each counting its calls.
#[derive(Clone)]
struct Issuer {
    url: String,
    key: Arc<(EncodingKey, Jwk)>,
    /// What the document says the issuer is (the real one unless a test lies).
    claimed_issuer: Arc<Mutex<String>>,
    down: Arc<AtomicBool>,
    /// Opaque tokens introspection calls active, with their subjects.
    active: Arc<Mutex<HashMap<String, Value>>>,
    discoveries: Arc<AtomicUsize>,
    jwks_fetches: Arc<AtomicUsize>,
    introspections: Arc<AtomicUsize>,
}

impl Issuer {
    async fn start(kid: &str) -> Issuer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let encoding = EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes()).unwrap();
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::ES256).unwrap();
        jwk.common.key_id = Some(kid.to_owned());
        let issuer = Issuer {
            claimed_issuer: Arc::new(Mutex::new(url.clone())),
            url,
            key: Arc::new((encoding, jwk)),
            down: Arc::default(),
            active: Arc::default(),
            discoveries: Arc::default(),
            jwks_fetches: Arc::default(),
            introspections: Arc::default(),
        };
        let app = Router::new()
            .route(
                "/.well-known/openid-configuration",
                axum::routing::get(discovery),
            )
            .route("/jwks", axum::routing::get(jwks))
            .route("/introspect", axum::routing::post(introspect))
            .with_state(issuer.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        issuer
    }

    /// A JWT of this issuer, with `claims` over the defaults.
    fn token(&self, claims: Value) -> String {
        let now = now();
        let mut all = json!({"sub": "alice", "aud": "llama-stack", "iss": self.url, "exp": now + 600, "iat": now, "email": "alice@example.com"});
        for (k, v) in claims.as_object().unwrap() {
            all[k] = v.clone();
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = self.key.1.common.key_id.clone();
        jsonwebtoken::encode(&header, &all, &self.key.0).unwrap()
    }

    fn calls(&self) -> (usize, usize, usize) {
        (
            self.discoveries.load(Ordering::SeqCst),
            self.jwks_fetches.load(Ordering::SeqCst),
            self.introspections.load(Ordering::SeqCst),
        )
    }
}

async fn discovery(State(issuer): State<Issuer>) -> axum::response::Response {
    issuer.discoveries.fetch_add(1, Ordering::SeqCst);
    if issuer.down.load(Ordering::SeqCst) {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let claimed = issuer.claimed_issuer.lock().unwrap().clone();
    Json(json!({
        "issuer": claimed,
        "jwks_uri": format!("{}/jwks", issuer.url),
        "introspection_endpoint": format!("{}/introspect", issuer.url),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
    }))
    .into_response()
}

async fn jwks(State(issuer): State<Issuer>) -> Json<JwkSet> {
    issuer.jwks_fetches.fetch_add(1, Ordering::SeqCst);
    Json(JwkSet {
        keys: vec![issuer.key.1.clone()],
    })
}

async fn introspect(
    State(issuer): State<Issuer>,
    Form(form): Form<HashMap<String, String>>,
) -> Json<Value> {
    issuer.introspections.fetch_add(1, Ordering::SeqCst);
    let token = form.get("token").cloned().unwrap_or_default();
    match issuer.active.lock().unwrap().get(&token) {
        Some(fields) => {
            let mut answer = fields.clone();
            answer["active"] = json!(true);
            Json(answer)
        }
        None => Json(json!({"active": false})),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn serve(auth: &str) -> String {
    crate::support::serve_module(module_path!(), &format!("server:\n  auth:\n{auth}")).await
}

async fn whoami(base: &str, token: Option<&str>) -> (u16, Value) {
    let mut request = reqwest::Client::new().get(format!("{base}/v1/identity/whoami"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_issuer_alone_is_enough_discovery_finds_its_keys() {
    let idp = Issuer::start("k1").await;
    let base = serve(&format!(
        "    provider_config: {{type: oauth2_token, issuer: '{}', claims_mapping: {{sub: roles}}}}\n",
        idp.url
    ))
    .await;
    let (status, body) = whoami(&base, Some(&idp.token(json!({})))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["principal"], "alice");
    assert_eq!(body["provider"], "oauth2_token");
    // The verified claims, as the handler's own type.
    assert_eq!(body["email"], "alice@example.com");
    assert_eq!(idp.calls(), (1, 1, 0));
    // The document and keys are reused, not fetched per request.
    let (status, _) = whoami(&base, Some(&idp.token(json!({"sub": "bob"})))).await;
    assert_eq!(status, 200);
    assert_eq!(idp.calls(), (1, 1, 0));
    // Another issuer's token is refused all the same.
    let other = Issuer::start("k1").await;
    let (status, _) = whoami(&base, Some(&other.token(json!({"iss": idp.url})))).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn a_document_naming_another_issuer_is_refused() {
    let idp = Issuer::start("k1").await;
    *idp.claimed_issuer.lock().unwrap() = "https://evil.example".to_owned();
    let base = serve(&format!(
        "    provider_config: {{type: oauth2_token, issuer: '{}'}}\n",
        idp.url
    ))
    .await;
    let (status, body) = whoami(&base, Some(&idp.token(json!({})))).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        body["error"]["message"],
        "Authentication service unavailable"
    );
    // Its keys are never fetched.
    assert_eq!(idp.calls().1, 0);
}

#[tokio::test]
async fn discovery_down_then_up() {
    let idp = Issuer::start("k1").await;
    idp.down.store(true, Ordering::SeqCst);
    // The server starts while the issuer is down.
    let base = serve(&format!(
        "    provider_config: {{type: oauth2_token, issuer: '{}'}}\n",
        idp.url
    ))
    .await;
    let token = idp.token(json!({}));
    let (status, _) = whoami(&base, Some(&token)).await;
    assert_eq!(status, 503);
    // Within the cooldown, no second fetch: still 503, answered at once.
    let started = Instant::now();
    let (status, _) = whoami(&base, Some(&token)).await;
    assert_eq!(status, 503);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(idp.calls().0, 1);
    idp.down.store(false, Ordering::SeqCst);
    // After the cooldown the next request discovers, and is served.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (status, _) = whoami(&base, Some(&token)).await;
        if status == 200 {
            break;
        }
        assert_eq!(status, 503);
        assert!(Instant::now() < deadline, "discovery never recovered");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn introspection_endpoint_from_discovery() {
    let idp = Issuer::start("k1").await;
    idp.active.lock().unwrap().insert(
        "opaque-1".to_owned(),
        json!({"sub": "svc", "email": "svc@example.com", "aud": "llama-stack"}),
    );
    let base = serve(&format!(
        "    provider_config: {{type: oauth2_token, issuer: '{}', introspection: {{client_id: c, client_secret: s}}}}\n",
        idp.url
    ))
    .await;
    let (status, body) = whoami(&base, Some("opaque-1")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["principal"], &body["email"]),
        (&json!("svc"), &json!("svc@example.com"))
    );
    let (status, _) = whoami(&base, Some("opaque-2")).await;
    assert_eq!(status, 401);
    assert_eq!(idp.calls(), (1, 0, 2));
}

/// api_keys, a JWT issuer found by discovery, and an introspecting issuer.
async fn three_providers(a: &Issuer, b: &Issuer) -> String {
    serve(&format!(
        "    providers:\n      \
         - {{type: api_keys, keys: [{{key: machine-key, principal: robot}}]}}\n      \
         - {{type: oauth2_token, name: people, issuer: '{}'}}\n      \
         - {{type: oauth2_token, name: partners, issuer: '{}', introspection: {{url: '{}/introspect', client_id: c, client_secret: s}}}}\n",
        a.url, b.url, b.url
    ))
    .await
}

#[tokio::test]
async fn each_token_goes_to_the_one_provider_that_could_have_issued_it() {
    let a = Issuer::start("a1").await;
    let b = Issuer::start("b1").await;
    b.active
        .lock()
        .unwrap()
        .insert("partner-token".to_owned(), json!({"sub": "partner"}));
    let base = three_providers(&a, &b).await;

    // An API key: no remote provider asked. Among several providers, a
    // principal is qualified by its provider's name.
    let (status, body) = whoami(&base, Some("machine-key")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["principal"], &body["provider"]),
        (&json!("api_keys:robot"), &json!("api_keys"))
    );
    assert_eq!(body["email"], "no claims");
    assert_eq!((a.calls(), b.calls()), ((0, 0, 0), (0, 0, 0)));

    // A JWT of A goes to A only.
    let (status, body) = whoami(&base, Some(&a.token(json!({})))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["provider"], "people");
    assert_eq!((a.calls(), b.calls()), ((1, 1, 0), (0, 0, 0)));

    // An opaque token goes to the introspecting provider, never to A.
    let (status, body) = whoami(&base, Some("partner-token")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (&body["principal"], &body["provider"]),
        (&json!("partners:partner"), &json!("partners"))
    );
    assert_eq!((a.calls(), b.calls()), ((1, 1, 0), (0, 0, 1)));

    // A JWT of B goes to B's introspection.
    let (status, _) = whoami(&base, Some(&b.token(json!({})))).await;
    assert_eq!(status, 401);
    assert_eq!((a.calls(), b.calls()), ((1, 1, 0), (0, 0, 2)));

    // A JWT from an unknown issuer: 401, and nobody is asked.
    let stranger = Issuer::start("a1").await;
    let (status, body) = whoami(&base, Some(&stranger.token(json!({})))).await;
    assert_eq!(status, 401, "{body}");
    // Not even with A's kid and iss-less.
    let (status, _) = whoami(&base, Some(&stranger.token(json!({"iss": null})))).await;
    assert_eq!(status, 401);
    assert_eq!((a.calls(), b.calls()), ((1, 1, 0), (0, 0, 2)));
    assert_eq!(stranger.calls(), (0, 0, 0));
}

#[tokio::test]
async fn an_opaque_token_never_reaches_a_jwt_provider() {
    let a = Issuer::start("a1").await;
    let base = serve(&format!(
        "    providers:\n      - {{type: api_keys, keys: [{{key: machine-key, principal: robot}}]}}\n      - {{type: oauth2_token, issuer: '{}'}}\n",
        a.url
    ))
    .await;
    let (status, body) = whoami(&base, Some("not-a-key")).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["message"], "Invalid API key");
    assert_eq!(a.calls(), (0, 0, 0));
    // The hint without credentials names both.
    let (status, body) = whoami(&base, None).await;
    assert_eq!(status, 401);
    assert_eq!(
        body["error"]["message"],
        format!(
            "Authentication required. Please provide your API key as a Bearer token in the Authorization header, or a valid OAuth2 Bearer token from {}",
            a.url
        )
    );
}

#[tokio::test]
async fn audience_and_issuer_lists_take_any_of_theirs() {
    let a = Issuer::start("a1").await;
    let base = serve(&format!(
        "    provider_config: {{type: oauth2_token, audience: [api, api-v2], issuer: ['{url}', 'https://old.example'], jwks: {{uri: '{url}/jwks'}}}}\n",
        url = a.url
    ))
    .await;
    for (claims, expected) in [
        (json!({"aud": "api"}), 200),
        (json!({"aud": "api-v2"}), 200),
        (json!({"aud": ["other", "api-v2"]}), 200),
        (json!({"aud": "llama-stack"}), 401),
        (json!({"aud": "api", "iss": "https://old.example"}), 200),
        (json!({"aud": "api", "iss": "https://else.example"}), 401),
    ] {
        let (status, body) = whoami(&base, Some(&a.token(claims.clone()))).await;
        assert_eq!(status, expected, "{claims} {body}");
    }
    // Explicit URLs win: no discovery.
    assert_eq!(a.calls().0, 0);
}
