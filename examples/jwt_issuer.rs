//! A local JWT issuer for trying `oauth2_token` end to end on one machine.
//!
//! ```text
//! cargo run --example jwt_issuer                  # JWKS on 127.0.0.1:8322, prints two tokens
//! cargo run --example server -- --config examples/configs/oauth2_jwks.yaml
//! # or, keys found by OIDC discovery, beside API keys:
//! cargo run --example server -- --config examples/configs/providers.yaml
//! curl -H "Authorization: Bearer <token>" localhost:8321/v1/whoami
//! curl "localhost:8322/token?sub=bob&scope=models.read"   # mint another
//! ```
//!
//! It makes a fresh RSA key at each start; tokens last one hour. For demos
//! only: anyone who can reach it can mint tokens.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

const ISSUER: &str = "http://127.0.0.1:8322";
const KID: &str = "demo-key-1";

struct Issuer {
    key: EncodingKey,
    jwk: Jwk,
}

impl Issuer {
    fn mint(&self, sub: &str, scope: &str, groups: &[&str]) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let claims = json!({
            "iss": ISSUER, "aud": "llama-stack", "sub": sub, "scope": scope,
            "groups": groups, "iat": now, "exp": now + 3600,
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KID.to_owned());
        jsonwebtoken::encode(&header, &claims, &self.key)
            .unwrap_or_else(|e| format!("cannot sign: {e}"))
    }
}

async fn jwks(State(issuer): State<Arc<Issuer>>) -> Json<JwkSet> {
    Json(JwkSet {
        keys: vec![issuer.jwk.clone()],
    })
}

/// The OIDC discovery document (what `oauth2_token` with `issuer` alone reads).
async fn discovery() -> Json<serde_json::Value> {
    Json(json!({
        "issuer": ISSUER,
        "jwks_uri": format!("{ISSUER}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }))
}

async fn token(
    State(issuer): State<Arc<Issuer>>,
    Query(q): Query<HashMap<String, String>>,
) -> String {
    let sub = q.get("sub").map_or("alice", String::as_str);
    let scope = q.get("scope").map_or("models.read", String::as_str);
    issuer.mint(sub, scope, &[]) + "\n"
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)?;
    let key = EncodingKey::from_rsa_pem(pair.serialize_pem().as_bytes())?;
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256)?;
    jwk.common.key_id = Some(KID.to_owned());
    let issuer = Arc::new(Issuer { key, jwk });

    println!("JWKS: {ISSUER}/jwks   mint: {ISSUER}/token?sub=NAME&scope=SCOPES");
    println!(
        "admin token (models.read models.write):\n{}",
        issuer.mint("admin", "models.read models.write", &["ops"])
    );
    println!(
        "user token (models.read):\n{}",
        issuer.mint("alice", "models.read", &["ml"])
    );

    let app = Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/jwks", get(jwks))
        .route("/token", get(token))
        .with_state(issuer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8322").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
