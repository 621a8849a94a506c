//! One `oauth2_token` (JWKS) validation, RS256 and ES256, with the validation
//! cache off (signature and claims checked every time) and on (a SHA-256 of
//! the token and a cache hit). The JWKS is served on 127.0.0.1 and fetched
//! once, before measuring.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use auth_runtime::__private::JwtProvider;
use auth_runtime::authn::CachedProvider;
use auth_runtime::authn::{AuthProvider, RequestHead};
use auth_runtime::config::{Config, ProviderConfig};
use axum::http::{HeaderMap, Method, Uri};
use criterion::{Criterion, criterion_group, criterion_main};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

fn key(alg: Algorithm, kid: &str) -> (EncodingKey, Jwk) {
    let rcgen_alg = match alg {
        Algorithm::RS256 => &rcgen::PKCS_RSA_SHA256,
        _ => &rcgen::PKCS_ECDSA_P256_SHA256,
    };
    let pem = rcgen::KeyPair::generate_for(rcgen_alg)
        .expect("key")
        .serialize_pem();
    let encoding = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(pem.as_bytes()),
        _ => EncodingKey::from_ec_pem(pem.as_bytes()),
    }
    .expect("pem");
    let mut jwk = Jwk::from_encoding_key(&encoding, alg).expect("jwk");
    jwk.common.key_id = Some(kid.to_owned());
    (encoding, jwk)
}

fn jwt(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let (rsa, rsa_jwk) = key(Algorithm::RS256, "rsa");
    let (ec, ec_jwk) = key(Algorithm::ES256, "ec");
    let set = JwkSet {
        keys: vec![rsa_jwk, ec_jwk],
    };
    let uri = rt.block_on(async move {
        let app = axum::Router::new().route(
            "/jwks",
            axum::routing::get(move || async move { axum::Json(set) }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/jwks")
    });
    let yaml = format!(
        "server:\n  auth:\n    provider_config:\n      type: oauth2_token\n      jwks: {{uri: '{uri}'}}\n      claims_mapping: {{sub: roles, scope: scopes}}\n"
    );
    let config = Config::parse(&yaml, "bench", &|_| None).expect("config");
    let provider = config
        .server
        .auth
        .and_then(|a| a.provider_config)
        .expect("provider_config");
    let Ok(ProviderConfig::OAuth2Token(oauth2)) = ProviderConfig::from_value(provider, "p") else {
        panic!("oauth2_token expected")
    };
    let plain: Arc<dyn AuthProvider> = Arc::new(JwtProvider::new(&oauth2).expect("provider"));
    let cached: Arc<dyn AuthProvider> = Arc::new(CachedProvider::new(
        plain.clone(),
        Duration::from_secs(300),
        Duration::from_secs(5),
        10_000,
    ));

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let claims = json!({"sub": "alice", "aud": "llama-stack", "exp": now + 3600, "scope": "models.read models.write"});
    let sign = |alg, kid: &str, key: &EncodingKey| {
        let mut header = Header::new(alg);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, &claims, key).expect("sign")
    };
    let tokens = [
        ("rs256", sign(Algorithm::RS256, "rsa", &rsa)),
        ("es256", sign(Algorithm::ES256, "ec", &ec)),
    ];

    let method = Method::GET;
    let uri: Uri = "/v1/models".parse().expect("uri");
    let headers = HeaderMap::new();
    let head = RequestHead::new(&method, &uri, &headers);
    let mut group = c.benchmark_group("jwt_validation");
    for (alg, token) in &tokens {
        for (cache, provider) in [("cache_off", &plain), ("cache_on", &cached)] {
            // Fetch the JWKS (and fill the cache) before measuring.
            rt.block_on(provider.authenticate(Some(token), head))
                .expect("valid token");
            group.bench_function(format!("{alg}_{cache}"), |b| {
                b.to_async(&rt).iter(|| async {
                    provider
                        .authenticate(Some(token), head)
                        .await
                        .expect("valid token")
                })
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = jwt
}
criterion_main!(benches);
