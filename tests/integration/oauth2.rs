//! `oauth2_token`: JWTs against a real JWKS endpoint (RSA and EC keys made
//! here), RFC 7662 introspection against a real endpoint, and the validation
//! cache in front of them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_runtime::{AuthenticatedUser, webmethod};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

#[webmethod(route = "/jwt/whoami", method = "GET", level = "v1")]
async fn jwt_whoami(user: AuthenticatedUser) -> Json<Value> {
    Json(json!({"principal": user.principal, "attributes": user.attributes}))
}

/// A signing key and its public JWK.
struct SigningKey {
    alg: Algorithm,
    kid: String,
    encoding: EncodingKey,
    jwk: Jwk,
}

fn signing_key(alg: Algorithm, kid: &str) -> SigningKey {
    let (rcgen_alg, ec) = match alg {
        Algorithm::RS256 => (&rcgen::PKCS_RSA_SHA256, false),
        Algorithm::ES256 => (&rcgen::PKCS_ECDSA_P256_SHA256, true),
        other => panic!("no test key for {other:?}"),
    };
    let pair = rcgen::KeyPair::generate_for(rcgen_alg).unwrap();
    let pem = pair.serialize_pem();
    let encoding = if ec {
        EncodingKey::from_ec_pem(pem.as_bytes()).unwrap()
    } else {
        EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()
    };
    let mut jwk = Jwk::from_encoding_key(&encoding, alg).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    SigningKey {
        alg,
        kid: kid.to_owned(),
        encoding,
        jwk,
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn token(key: &SigningKey, claims: Value) -> String {
    let mut header = Header::new(key.alg);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, &claims, &key.encoding).unwrap()
}

fn claims(extra: Value) -> Value {
    let mut c = json!({"sub": "alice", "aud": "llama-stack", "iss": "https://issuer.test", "exp": now() + 600, "iat": now(), "groups": ["ml"], "scope": "models.read models.write"});
    for (k, v) in extra.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

/// The stand-in JWKS endpoint: serves `keys`, counts fetches, and wants
/// `Authorization: Bearer jwks-secret` when `require_token` is set.
#[derive(Clone, Default)]
struct Jwks {
    keys: Arc<Mutex<Vec<Jwk>>>,
    fetches: Arc<AtomicUsize>,
    require_token: bool,
}

async fn jwks_endpoint(
    State(jwks): State<Jwks>,
    headers: HeaderMap,
) -> Result<Json<JwkSet>, StatusCode> {
    jwks.fetches.fetch_add(1, Ordering::SeqCst);
    if jwks.require_token
        && headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer jwks-secret")
    {
        return Err(StatusCode::UNAUTHORIZED);
    }
    Ok(Json(JwkSet {
        keys: jwks.keys.lock().unwrap().clone(),
    }))
}

async fn start_jwks(jwks: Jwks) -> String {
    let app = axum::Router::new()
        .route("/jwks", axum::routing::get(jwks_endpoint))
        .with_state(jwks);
    format!("{}/jwks", crate::support::serve(app).await)
}

async fn serve(yaml: &str) -> String {
    crate::support::serve_module(module_path!(), yaml).await
}

fn jwt_config(jwks_uri: &str, extra: &str, cache: bool) -> String {
    format!(
        "server:\n  auth:\n    cache: {{enabled: {cache}}}\n    provider_config:\n      type: oauth2_token\n      issuer: https://issuer.test\n      jwks: {{uri: '{jwks_uri}', token: jwks-secret}}\n      claims_mapping: {{sub: roles, groups: teams, scope: scopes}}\n{extra}"
    )
}

async fn whoami(base: &str, token: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{base}/v1/jwt/whoami"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn jwt_validation() {
    let rsa = signing_key(Algorithm::RS256, "rsa-1");
    let ec = signing_key(Algorithm::ES256, "ec-1");
    let jwks = Jwks {
        require_token: true,
        ..Jwks::default()
    };
    *jwks.keys.lock().unwrap() = vec![rsa.jwk.clone(), ec.jwk.clone()];
    let base = serve(&jwt_config(&start_jwks(jwks.clone()).await, "", false)).await;

    for key in [&rsa, &ec] {
        let (status, body) = whoami(&base, &token(key, claims(json!({})))).await;
        assert_eq!(status, 200, "{:?}: {body}", key.alg);
        assert_eq!(
            body,
            json!({"principal": "alice", "attributes": {"roles": ["alice"], "teams": ["ml"], "scopes": ["models.read", "models.write"]}})
        );
    }

    let other = signing_key(Algorithm::RS256, "rsa-1"); // same kid, another key
    let hour = 3600;
    let rejected = [
        ("expired", token(&rsa, claims(json!({"exp": now() - hour})))),
        (
            "not yet valid",
            token(&rsa, claims(json!({"nbf": now() + hour}))),
        ),
        (
            "wrong audience",
            token(&rsa, claims(json!({"aud": "someone-else"}))),
        ),
        ("no audience", token(&rsa, claims(json!({"aud": null})))),
        (
            "wrong issuer",
            token(&rsa, claims(json!({"iss": "https://evil.test"}))),
        ),
        ("no exp", token(&rsa, claims(json!({"exp": null})))),
        ("no sub", token(&rsa, claims(json!({"sub": null})))),
        ("bad signature", token(&other, claims(json!({})))),
        ("not a jwt", "definitely.not.ajwt".to_owned()),
    ];
    for (case, t) in rejected {
        let (status, body) = whoami(&base, &t).await;
        assert_eq!(status, 401, "{case}");
        assert_eq!(body["error"]["message"], "Invalid JWT token", "{case}");
    }

    // Within the leeway, an expired token still passes.
    let (status, _) = whoami(&base, &token(&rsa, claims(json!({"exp": now() - 5})))).await;
    assert_eq!(status, 200);
}

fn b64(bytes: &[u8]) -> String {
    use std::fmt::Write;
    // base64url without padding, by hand: the test should not trust the code under test.
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            let _ = out.write_char(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

#[tokio::test]
async fn algorithm_confusion_is_refused() {
    let rsa = signing_key(Algorithm::RS256, "rsa-1");
    let jwks = Jwks::default();
    *jwks.keys.lock().unwrap() = vec![rsa.jwk.clone()];
    let base = serve(&jwt_config(&start_jwks(jwks).await, "", false)).await;

    // alg: none, no signature.
    let header = b64(br#"{"alg":"none","typ":"JWT","kid":"rsa-1"}"#);
    let payload = b64(claims(json!({})).to_string().as_bytes());
    for t in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        assert_eq!(whoami(&base, &t).await.0, 401);
    }

    // HS256 with the RSA public key as the HMAC secret.
    let public_pem = match &rsa.jwk.algorithm {
        jsonwebtoken::jwk::AlgorithmParameters::RSA(p) => format!("{}.{}", p.n, p.e),
        _ => unreachable!(),
    };
    for secret in [
        public_pem.as_bytes(),
        rsa.jwk.common.key_id.as_deref().unwrap().as_bytes(),
    ] {
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some("rsa-1".into());
        let t = jsonwebtoken::encode(&h, &claims(json!({})), &EncodingKey::from_secret(secret))
            .unwrap();
        assert_eq!(whoami(&base, &t).await.0, 401);
    }

    // An RSA-PSS or ES256 header on an RS256-only key.
    let mut h = Header::new(Algorithm::ES256);
    h.kid = Some("rsa-1".into());
    let ec = signing_key(Algorithm::ES256, "x");
    let t = jsonwebtoken::encode(&h, &claims(json!({})), &ec.encoding).unwrap();
    assert_eq!(whoami(&base, &t).await.0, 401);
}

#[tokio::test]
async fn key_rotation_and_unknown_kid_floods() {
    let first = signing_key(Algorithm::RS256, "k1");
    let second = signing_key(Algorithm::ES256, "k2");
    let jwks = Jwks::default();
    *jwks.keys.lock().unwrap() = vec![first.jwk.clone()];
    let base = serve(&jwt_config(&start_jwks(jwks.clone()).await, "", false)).await;

    assert_eq!(
        whoami(&base, &token(&first, claims(json!({})))).await.0,
        200
    );
    assert_eq!(jwks.fetches.load(Ordering::SeqCst), 1);

    // The IdP rotates: the new kid is fetched once, then accepted.
    jwks.keys.lock().unwrap().push(second.jwk.clone());
    assert_eq!(
        whoami(&base, &token(&second, claims(json!({})))).await.0,
        200
    );
    assert_eq!(jwks.fetches.load(Ordering::SeqCst), 2);
    assert_eq!(
        whoami(&base, &token(&second, claims(json!({"sub": "bob"}))))
            .await
            .0,
        200
    );
    assert_eq!(
        jwks.fetches.load(Ordering::SeqCst),
        2,
        "known kids need no fetch"
    );

    // A flood of made-up kids, concurrently: at most one more fetch.
    let mut tasks = Vec::new();
    for i in 0..200 {
        let mut key = signing_key_cached(&first);
        key.kid = format!("made-up-{i}");
        let t = token(&key, claims(json!({})));
        let base = base.clone();
        tasks.push(tokio::spawn(async move { whoami(&base, &t).await.0 }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 401);
    }
    let fetches = jwks.fetches.load(Ordering::SeqCst);
    assert!(
        fetches <= 3,
        "{fetches} JWKS fetches for a flood of unknown kids"
    );
}

/// Past `key_recheck_period`, a token whose key is known is verified at once
/// and the keys are refreshed behind it.
#[tokio::test]
async fn stale_keys_are_refreshed_behind_the_request() {
    let key = signing_key(Algorithm::ES256, "k1");
    let jwks = Jwks::default();
    *jwks.keys.lock().unwrap() = vec![key.jwk.clone()];
    let uri = start_jwks(jwks.clone()).await;
    let base = serve(&format!(
        "server:\n  auth:\n    cache: {{enabled: false}}\n    provider_config:\n      type: oauth2_token\n      jwks: {{uri: '{uri}', key_recheck_period: 1}}\n"
    ))
    .await;
    let jwt = token(&key, claims(json!({"iss": null})));
    assert_eq!(whoami(&base, &jwt).await.0, 200);
    assert_eq!(jwks.fetches.load(Ordering::SeqCst), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(whoami(&base, &jwt).await.0, 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while jwks.fetches.load(Ordering::SeqCst) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "no refresh behind the request"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A token without `kid` is verified when the key set is unambiguous (one
/// key, with or without a kid), refused when it is not.
#[tokio::test]
async fn a_token_without_kid_needs_a_single_key() {
    let key = signing_key(Algorithm::ES256, "k1");
    let other = signing_key(Algorithm::ES256, "k2");
    let no_kid = |key: &SigningKey| {
        jsonwebtoken::encode(&Header::new(key.alg), &claims(json!({})), &key.encoding).unwrap()
    };
    let mut anonymous = key.jwk.clone();
    anonymous.common.key_id = None;
    for (keys, expected) in [
        (vec![key.jwk.clone()], 200),
        (vec![anonymous], 200),
        (vec![key.jwk.clone(), other.jwk.clone()], 401),
    ] {
        let jwks = Jwks::default();
        *jwks.keys.lock().unwrap() = keys;
        let base = serve(&jwt_config(&start_jwks(jwks).await, "", false)).await;
        let (status, body) = whoami(&base, &no_kid(&key)).await;
        assert_eq!(status, expected, "{body}");
    }
}

/// The same key material under another kid.
fn signing_key_cached(key: &SigningKey) -> SigningKey {
    SigningKey {
        alg: key.alg,
        kid: key.kid.clone(),
        encoding: key.encoding.clone(),
        jwk: key.jwk.clone(),
    }
}

#[tokio::test]
async fn jwks_down_is_503() {
    let key = signing_key(Algorithm::RS256, "k1");
    let base = serve(&jwt_config(&crate::authn::dead_endpoint(), "", false)).await;
    let (status, body) = whoami(&base, &token(&key, claims(json!({})))).await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (503, Some("Authentication service unavailable"))
    );
}

/// A JWKS that hangs while the server starts, then answers: requests get
/// 503 until a fetch after the cooldown succeeds, then are served.
#[tokio::test]
async fn a_jwks_down_at_startup_recovers_after_the_cooldown() {
    let key = signing_key(Algorithm::ES256, "k1");
    let jwks = FlakyJwks::default();
    *jwks.keys.lock().unwrap() = vec![key.jwk.clone()];
    jwks.hang.store(true, Ordering::SeqCst);
    let uri = start_flaky_jwks(jwks.clone()).await;
    let base = serve(&hanging_jwks_config(&uri, 3600)).await;
    let jwt = token(&key, claims(json!({})));
    assert_eq!(whoami(&base, &jwt).await.0, 503);
    jwks.hang.store(false, Ordering::SeqCst);
    let started = std::time::Instant::now();
    loop {
        match whoami(&base, &jwt).await.0 {
            200 => break,
            503 => {}
            other => panic!("{other}"),
        }
        assert!(
            started.elapsed() < JWKS_COOLDOWN + Duration::from_secs(5),
            "no fetch after the cooldown"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// One introspection call: its `Authorization` header and its form.
type Seen = (Option<String>, Vec<(String, String)>);

/// The stand-in introspection endpoint.
#[derive(Clone, Default)]
struct Introspection {
    calls: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
    delay: Duration,
}

async fn introspect(
    State(state): State<Introspection>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<Vec<(String, String)>>,
) -> (StatusCode, Json<Value>) {
    state.calls.fetch_add(1, Ordering::SeqCst);
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state.seen.lock().unwrap().push((auth, form.clone()));
    tokio::time::sleep(state.delay).await;
    let token = form
        .iter()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    match token {
        "active-token" => (
            StatusCode::OK,
            Json(
                json!({"active": true, "sub": "alice", "scope": "models.read", "groups": ["ml"], "exp": now() + 600}),
            ),
        ),
        "username-only" => (
            StatusCode::OK,
            Json(json!({"active": true, "username": "bob"})),
        ),
        "short-lived" => (
            StatusCode::OK,
            // Whole seconds: 2 leaves it at least one second to live.
            Json(json!({"active": true, "sub": "carol", "exp": now() + 2})),
        ),
        "error-500" => (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({}))),
        "error-400" => (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_request"})),
        ),
        _ => (StatusCode::OK, Json(json!({"active": false}))),
    }
}

async fn start_introspection(state: Introspection) -> String {
    let app = axum::Router::new()
        .route("/introspect", axum::routing::post(introspect))
        .with_state(state);
    format!("{}/introspect", crate::support::serve(app).await)
}

fn introspection_config(url: &str, in_body: bool, cache: &str) -> String {
    format!(
        "server:\n  auth:\n    cache: {cache}\n    provider_config:\n      type: oauth2_token\n      claims_mapping: {{sub: roles, username: roles, scope: scopes, groups: teams}}\n      introspection:\n        url: {url}\n        client_id: webmethod\n        client_secret: s3cret\n        send_secret_in_body: {in_body}\n"
    )
}

#[tokio::test]
async fn introspection_with_both_credential_placements() {
    for in_body in [false, true] {
        let state = Introspection::default();
        let url = start_introspection(state.clone()).await;
        let base = serve(&introspection_config(&url, in_body, "{enabled: false}")).await;

        let (status, body) = whoami(&base, "active-token").await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!({"principal": "alice", "attributes": {"roles": ["alice"], "scopes": ["models.read"], "teams": ["ml"]}})
        );
        let (auth, form) = state.seen.lock().unwrap().last().cloned().unwrap();
        assert!(form.contains(&("token".into(), "active-token".into())));
        if in_body {
            assert_eq!(auth, None);
            assert!(form.contains(&("client_id".into(), "webmethod".into())));
            assert!(form.contains(&("client_secret".into(), "s3cret".into())));
        } else {
            // base64("webmethod:s3cret")
            assert_eq!(auth.as_deref(), Some("Basic d2VibWV0aG9kOnMzY3JldA=="));
            assert!(!form.iter().any(|(k, _)| k == "client_secret"));
        }

        assert_eq!(whoami(&base, "username-only").await.1["principal"], "bob");
        let (status, body) = whoami(&base, "inactive-token").await;
        assert_eq!(
            (status, body["error"]["message"].as_str()),
            (401, Some("Token not active"))
        );
        let (status, body) = whoami(&base, "error-500").await;
        assert_eq!(
            (status, body["error"]["message"].as_str()),
            (503, Some("Authentication service unavailable"))
        );
        let (status, body) = whoami(&base, "error-400").await;
        assert_eq!(
            (status, body["error"]["message"].as_str()),
            (401, Some("Token introspection failed: 400"))
        );
    }
    let base = serve(&introspection_config(
        &crate::authn::dead_endpoint(),
        false,
        "{}",
    ))
    .await;
    assert_eq!(whoami(&base, "active-token").await.0, 503);
}

#[tokio::test]
async fn concurrent_validations_of_one_token_coalesce() {
    let state = Introspection {
        delay: Duration::from_millis(200),
        ..Introspection::default()
    };
    let url = start_introspection(state.clone()).await;
    let base = serve(&introspection_config(&url, false, "{}")).await;
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for _ in 0..500 {
        let request = client
            .get(format!("{base}/v1/jwt/whoami"))
            .bearer_auth("active-token")
            .send();
        tasks.push(tokio::spawn(request));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().status(), 200);
    }
    assert_eq!(
        state.calls.load(Ordering::SeqCst),
        1,
        "500 concurrent requests, one validation"
    );
}

#[tokio::test]
async fn cache_keeps_rejections_briefly_and_never_outlives_the_token() {
    let state = Introspection::default();
    let url = start_introspection(state.clone()).await;
    let base = serve(&introspection_config(
        &url,
        false,
        "{ttl: 300, failure_ttl: 60}",
    ))
    .await;

    for _ in 0..3 {
        assert_eq!(whoami(&base, "inactive-token").await.0, 401);
    }
    assert_eq!(
        state.calls.load(Ordering::SeqCst),
        1,
        "a rejected token is answered from the cache"
    );

    assert_eq!(whoami(&base, "short-lived").await.0, 200);
    assert_eq!(whoami(&base, "short-lived").await.0, 200);
    assert_eq!(state.calls.load(Ordering::SeqCst), 2);
    // Its `exp` is at most two seconds away: past it, the cache asks again.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(whoami(&base, "short-lived").await.0, 200);
    assert_eq!(state.calls.load(Ordering::SeqCst), 3);

    // A 4xx answer is a rejection (401), cached like one.
    assert_eq!(whoami(&base, "error-400").await.0, 401);
    assert_eq!(whoami(&base, "error-400").await.0, 401);
    assert_eq!(state.calls.load(Ordering::SeqCst), 4);
    // A 5xx is an outage (503), never cached: recovery is immediate.
    assert_eq!(whoami(&base, "error-500").await.0, 503);
    assert_eq!(whoami(&base, "error-500").await.0, 503);
    assert_eq!(state.calls.load(Ordering::SeqCst), 6);
}

// ------------------------------------------- failures (DESIGN "Failure behaviour")

/// A JWKS endpoint on a raw socket that serves `keys`, or, while `hang` is
/// set, accepts connections and never answers. Counts connections.
#[derive(Clone, Default)]
struct FlakyJwks {
    keys: Arc<Mutex<Vec<Jwk>>>,
    hang: Arc<std::sync::atomic::AtomicBool>,
    connections: Arc<AtomicUsize>,
}

async fn start_flaky_jwks(jwks: FlakyJwks) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            jwks.connections.fetch_add(1, Ordering::SeqCst);
            let jwks = jwks.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                if jwks.hang.load(Ordering::SeqCst) {
                    // Hold the connection, say nothing.
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                    return;
                }
                let body = serde_json::to_string(&JwkSet {
                    keys: jwks.keys.lock().unwrap().clone(),
                })
                .unwrap();
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    format!("http://{addr}/jwks")
}

fn hanging_jwks_config(uri: &str, recheck: u64) -> String {
    format!(
        "server:\n  auth:\n    cache: {{enabled: false}}\n    provider_config:\n      type: oauth2_token\n      issuer: https://issuer.test\n      timeout: 2\n      jwks: {{uri: '{uri}', key_recheck_period: {recheck}}}\n"
    )
}

#[tokio::test]
async fn a_hanging_jwks_answers_every_waiter_503_within_its_timeout() {
    let jwks = FlakyJwks::default();
    jwks.hang.store(true, Ordering::SeqCst);
    let base = serve(&hanging_jwks_config(
        &start_flaky_jwks(jwks.clone()).await,
        3600,
    ))
    .await;
    let key = signing_key(Algorithm::RS256, "k0");

    // Signed first: the clock measures the server, not the signing.
    let tokens: Vec<String> = (0..20)
        .map(|i| {
            let mut key = signing_key_cached(&key);
            key.kid = format!("new-kid-{i}");
            token(&key, claims(json!({})))
        })
        .collect();
    // One client, built before the clock starts (building one loads the
    // system's root certificates).
    let client = reqwest::Client::new();
    let started = std::time::Instant::now();
    let mut tasks = Vec::new();
    for t in tokens {
        let request = client
            .get(format!("{base}/v1/jwt/whoami"))
            .bearer_auth(t)
            .send();
        tasks.push(tokio::spawn(async move {
            let r = request.await.unwrap();
            let status = r.status().as_u16();
            let body: Value = r.json().await.unwrap_or(Value::Null);
            ((status, body), started.elapsed())
        }));
    }
    for task in tasks {
        let ((status, body), took) = task.await.unwrap();
        assert_eq!(
            (status, body["error"]["message"].as_str()),
            (503, Some("Authentication service unavailable"))
        );
        assert!(took < Duration::from_secs(3), "answered after {took:?}");
    }
    assert_eq!(
        jwks.connections.load(Ordering::SeqCst),
        1,
        "one fetch in flight, shared by every waiter"
    );
    // The failed fetch started the cooldown: no new fetch, an immediate 503.
    let again = std::time::Instant::now();
    assert_eq!(whoami(&base, &token(&key, claims(json!({})))).await.0, 503);
    assert!(again.elapsed() < Duration::from_millis(500));
    assert_eq!(jwks.connections.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn known_keys_keep_verifying_while_the_jwks_hangs() {
    let known = signing_key(Algorithm::RS256, "known");
    let jwks = FlakyJwks::default();
    *jwks.keys.lock().unwrap() = vec![known.jwk.clone()];
    // Keys due for their periodic refresh every second.
    let base = serve(&hanging_jwks_config(
        &start_flaky_jwks(jwks.clone()).await,
        1,
    ))
    .await;
    assert_eq!(
        whoami(&base, &token(&known, claims(json!({})))).await.0,
        200
    );

    jwks.hang.store(true, Ordering::SeqCst);
    // Past the refresh period, an unknown kid asks again and finds the
    // endpoint hanging: 503 within the timeout, not 401.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let rotated = token(&signing_key(Algorithm::RS256, "rotated"), claims(json!({})));
    let known = token(&known, claims(json!({})));
    let started = std::time::Instant::now();
    assert_eq!(whoami(&base, &rotated).await.0, 503);
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "{:?}",
        started.elapsed()
    );
    // The key it has keeps verifying, without waiting for a refresh (which
    // runs behind the requests and takes its 2 s timeout), past the
    // cooldown too.
    for _ in 0..4 {
        let started = std::time::Instant::now();
        assert_eq!(whoami(&base, &known).await.0, 200);
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "{:?}",
            started.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
}

#[tokio::test]
async fn jwt_time_claims_out_of_range_are_401_never_a_panic() {
    let key = signing_key(Algorithm::RS256, "k1");
    let jwks = Jwks::default();
    *jwks.keys.lock().unwrap() = vec![key.jwk.clone()];
    let base = serve(&jwt_config(&start_jwks(jwks).await, "", true)).await;
    let absurd = [
        json!(0),
        json!(-1),
        json!(10_000_000_000_000_000_000u64),
        json!(9_223_372_036_854_775_808u64),
        json!(u64::MAX),
        json!(1.5e9),
        json!(1e19),
        json!("1700000000"),
    ];
    for claim in ["exp", "nbf", "iat"] {
        for value in &absurd {
            if claim != "exp" && *value == json!(0) {
                continue; // a nbf or iat of 1970 is merely old
            }
            let t = token(&key, claims(json!({ claim: value })));
            let (status, body) = whoami(&base, &t).await;
            assert_eq!(
                (status, body["error"]["message"].as_str()),
                (401, Some("Invalid JWT token")),
                "{claim}: {value}"
            );
        }
    }
    // An `iat` in the future (PyJWT refuses it too).
    let t = token(&key, claims(json!({"iat": now() + 3600})));
    assert_eq!(whoami(&base, &t).await.0, 401);
    // The server is still up.
    assert_eq!(whoami(&base, &token(&key, claims(json!({})))).await.0, 200);
}

#[tokio::test]
async fn jwt_issuer_crit_typ_and_empty_sub() {
    let key = signing_key(Algorithm::RS256, "k1");
    let jwks = Jwks::default();
    *jwks.keys.lock().unwrap() = vec![key.jwk.clone()];
    let uri = start_jwks(jwks).await;
    let base = serve(&jwt_config(&uri, "", false)).await;

    // `issuer` configured: a token without `iss` is refused.
    let (status, body) = whoami(&base, &token(&key, claims(json!({"iss": null})))).await;
    assert_eq!(
        (status, body["error"]["message"].as_str()),
        (401, Some("Invalid JWT token"))
    );
    // An empty subject names no one.
    assert_eq!(
        whoami(&base, &token(&key, claims(json!({"sub": ""}))))
            .await
            .0,
        401
    );
    // A `crit` header: the extensions it names are not understood.
    let with_header = |edit: &dyn Fn(&mut Header)| {
        let mut header = Header::new(key.alg);
        header.kid = Some(key.kid.clone());
        edit(&mut header);
        jsonwebtoken::encode(&header, &claims(json!({})), &key.encoding).unwrap()
    };
    let critical = with_header(&|h| h.crit = Some(vec!["exp".into()]));
    assert_eq!(whoami(&base, &critical).await.0, 401);
    let at_jwt = with_header(&|h| h.typ = Some("at+jwt".into()));
    assert_eq!(
        whoami(&base, &at_jwt).await.0,
        200,
        "typ is not checked by default"
    );

    // `typ: at+jwt` configured (RFC 9068): only access tokens pass.
    let base = serve(&jwt_config(&uri, "      typ: at+jwt\n", false)).await;
    assert_eq!(whoami(&base, &at_jwt).await.0, 200);
    let application = with_header(&|h| h.typ = Some("application/at+jwt".into()));
    assert_eq!(whoami(&base, &application).await.0, 200);
    assert_eq!(
        whoami(&base, &token(&key, claims(json!({})))).await.0,
        401,
        "typ JWT"
    );
}

#[tokio::test]
async fn a_cached_jwt_is_not_served_past_exp_plus_leeway() {
    let key = signing_key(Algorithm::RS256, "k1");
    let jwks = Jwks::default();
    *jwks.keys.lock().unwrap() = vec![key.jwk.clone()];
    let base = serve(&jwt_config(&start_jwks(jwks).await, "", true)).await;
    // Expired 26 s ago: inside the 30 s leeway for four more seconds.
    let t = token(&key, claims(json!({"exp": now() - 26})));
    assert_eq!(whoami(&base, &t).await.0, 200);
    tokio::time::sleep(Duration::from_millis(5100)).await;
    let (status, _) = whoami(&base, &t).await;
    assert_eq!(status, 401, "the cache kept it past exp + leeway");
}

/// An introspection endpoint that answers `answer` for every token.
async fn start_fixed_introspection(answer: Value) -> String {
    let app = axum::Router::new().route(
        "/introspect",
        axum::routing::post(move || {
            let answer = answer.clone();
            async move { Json(answer) }
        }),
    );
    format!("{}/introspect", crate::support::serve(app).await)
}

fn introspection_with(url: &str, extra: &str) -> String {
    format!(
        "server:\n  auth:\n    cache: {{enabled: false}}\n    provider_config:\n      type: oauth2_token\n{extra}      claims_mapping: {{scope: scopes}}\n      introspection: {{url: '{url}', client_id: webmethod, client_secret: s3cret}}\n"
    )
}

#[tokio::test]
async fn introspection_checks_audience_issuer_and_times() {
    let cases = [
        // (answer, extra config, expected status, expected principal or message)
        (
            json!({"active": true, "sub": "alice", "aud": "llama-stack"}),
            "",
            200,
            "alice",
        ),
        (
            json!({"active": true, "sub": "alice", "aud": ["other", "llama-stack"]}),
            "",
            200,
            "alice",
        ),
        (
            json!({"active": true, "sub": "alice", "aud": "other-api"}),
            "",
            401,
            "Invalid token audience",
        ),
        (
            json!({"active": true, "sub": "alice", "aud": ["a", "b"]}),
            "",
            401,
            "Invalid token audience",
        ),
        (
            json!({"active": true, "sub": "alice", "aud": 7}),
            "",
            401,
            "Invalid token audience",
        ),
        (
            json!({"active": true, "sub": "alice", "iss": "https://idp.test"}),
            "      issuer: https://idp.test\n",
            200,
            "alice",
        ),
        (
            json!({"active": true, "sub": "alice", "iss": "https://evil.test"}),
            "      issuer: https://idp.test\n",
            401,
            "Invalid token issuer",
        ),
        // A client-credentials token: no sub, no username.
        (
            json!({"active": true, "client_id": "billing-service", "scope": "models.read"}),
            "",
            200,
            "billing-service",
        ),
        (
            json!({"active": true, "username": "bob", "client_id": "cli"}),
            "",
            200,
            "bob",
        ),
        (
            json!({"active": true}),
            "",
            401,
            "Token introspection error",
        ),
        (
            json!({"active": true, "sub": "alice", "exp": 10_000_000_000_000_000_000u64}),
            "",
            401,
            "Invalid token",
        ),
        (
            json!({"active": true, "sub": "alice", "exp": 9_223_372_036_854_775_808u64}),
            "",
            401,
            "Invalid token",
        ),
        (
            json!({"active": true, "sub": "alice", "exp": -1}),
            "",
            401,
            "Invalid token",
        ),
        (
            json!({"active": true, "sub": "alice", "exp": 1.5e9}),
            "",
            401,
            "Invalid token",
        ),
        (
            json!({"active": true, "sub": "alice", "exp": "soon"}),
            "",
            401,
            "Invalid token",
        ),
        (
            json!({"active": true, "sub": "alice", "iat": 1e19}),
            "",
            401,
            "Invalid token",
        ),
        (
            json!({"active": true, "sub": "alice", "exp": 0}),
            "",
            401,
            "Token expired",
        ),
    ];
    for (answer, extra, status, expected) in cases {
        let url = start_fixed_introspection(answer.clone()).await;
        let base = serve(&introspection_with(&url, extra)).await;
        let (got, body) = whoami(&base, "any-token").await;
        let seen = if got == 200 {
            body["principal"].as_str().unwrap_or_default().to_owned()
        } else {
            body["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!((got, seen.as_str()), (status, expected), "{answer}");
    }
}

#[tokio::test]
async fn hints_and_names_of_the_oauth2_providers() {
    let jwks = Jwks::default();
    let uri = start_jwks(jwks).await;
    let base = serve(&jwt_config(&uri, "", false)).await;
    let r = reqwest::get(format!("{base}/v1/jwt/whoami")).await.unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "Authentication required. Please provide a valid OAuth2 Bearer token from https://issuer.test"
    );
    let url = start_fixed_introspection(json!({"active": false})).await;
    let host = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let base = serve(&introspection_with(&url, "")).await;
    let body: Value = reqwest::get(format!("{base}/v1/jwt/whoami"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body["error"]["message"],
        format!(
            "Authentication required. Please provide a valid OAuth2 Bearer token validated by {host}"
        )
    );
}

/// No JWKS fetch starts within this long of a failed or unknown-kid fetch
/// (DESIGN.md "Failure behaviour").
const JWKS_COOLDOWN: Duration = Duration::from_secs(5);
