//! A JWT issuer for tests: an ES256 key made in memory, its JWKS and
//! discovery document served on 127.0.0.1, tokens minted on demand.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

const KID: &str = "webmethod-test-key";

/// An OpenID-style issuer on `http://127.0.0.1:<port>`, for an app's tests:
/// `oauth2_token` with [`TestIssuer::provider_yaml`] (or with its issuer
/// alone, through discovery) verifies its tokens. It stops with the tokio
/// runtime that started it.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use auth_runtime::testing::{TestApp, TestIssuer};
/// use auth_runtime::webmethod;
/// use serde_json::json;
///
/// #[webmethod(route = "/me", method = "GET", level = "v1")]
/// async fn me(user: auth_runtime::AuthenticatedUser) -> String { user.principal.clone() }
///
/// let issuer = TestIssuer::start().await;
/// let config = format!("server:\n  auth:\n    provider_config:\n{}", issuer.provider_yaml("my-api", 6));
/// let app = TestApp::builder().config(&config).module(module_path!()).build().unwrap();
/// let token = issuer.token(json!({"sub": "ann", "aud": "my-api"}));
/// let answer = app.get("/v1/me").token(&token).send().await;
/// assert_eq!(answer.status, 200);
/// assert_eq!(answer.text(), "ann");
/// # }
/// ```
pub struct TestIssuer {
    url: String,
    key: EncodingKey,
}

impl TestIssuer {
    /// Makes a key and serves `/.well-known/openid-configuration` and
    /// `/jwks` on a free port of 127.0.0.1. Panics if it cannot (a test
    /// cannot go on without it).
    pub async fn start() -> TestIssuer {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .expect("an ES256 key");
        let key = EncodingKey::from_ec_der(pkcs8.as_ref());
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256).expect("the key's JWK");
        jwk.common.key_id = Some(KID.to_owned());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port on 127.0.0.1");
        let url = format!(
            "http://{}",
            listener.local_addr().expect("the issuer's address")
        );
        let jwks = JwkSet { keys: vec![jwk] };
        let discovery = json!({
            "issuer": url,
            "jwks_uri": format!("{url}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
        });
        let router = Router::new()
            .route("/jwks", get(move || std::future::ready(Json(jwks.clone()))))
            .route(
                "/.well-known/openid-configuration",
                get(move || std::future::ready(Json(discovery.clone()))),
            );
        tokio::spawn(async move { axum::serve(listener, router).await });
        TestIssuer { url, key }
    }

    /// The issuer URL (the tokens' `iss`).
    pub fn issuer(&self) -> &str {
        &self.url
    }

    /// Where its JWKS is served.
    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.url)
    }

    /// A signed token with `claims` (an object); `iss`, `iat` and `exp`
    /// (an hour from now) are added when missing. Add `aud`, `sub`, `scope`
    /// and whatever the claims mapping reads.
    pub fn token(&self, claims: Value) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut claims = match claims {
            Value::Object(map) => map,
            other => panic!("token claims must be a JSON object, not {other}"),
        };
        claims.entry("iss").or_insert_with(|| json!(self.url));
        claims.entry("iat").or_insert_with(|| json!(now));
        claims.entry("exp").or_insert_with(|| json!(now + 3600));
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(KID.to_owned());
        jsonwebtoken::encode(&header, &claims, &self.key).expect("the token signs")
    }

    /// An `oauth2_token` provider config for this issuer and `audience`, as
    /// YAML indented by `indent` spaces (to sit under `provider_config:`).
    pub fn provider_yaml(&self, audience: &str, indent: usize) -> String {
        let pad = " ".repeat(indent);
        format!(
            "{pad}type: oauth2_token\n{pad}issuer: {}\n{pad}audience: {audience}\n{pad}jwks: {{uri: \"{}\"}}\n",
            self.url,
            self.jwks_uri()
        )
    }
}
