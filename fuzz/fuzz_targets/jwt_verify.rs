//! JWT verification: any bytes as the bearer token against a fixed key set
//! (Ed25519, P-256 and RSA keys, `fuzz/jwks.json`) and a config with an
//! audience, an issuer and a claims mapping. A token that verifies names a
//! principal and is not expired; nothing panics.
#![no_main]

use std::sync::LazyLock;
use std::time::SystemTime;

use auth_runtime::config::OAuth2Config;
use auth_runtime::fuzzing::JwtVerifier;
use libfuzzer_sys::fuzz_target;

static VERIFIER: LazyLock<JwtVerifier> = LazyLock::new(|| {
    let config: OAuth2Config = serde_json::from_value(serde_json::json!({
        "audience": "fuzz",
        "issuer": "https://issuer.example",
        "jwks": {"uri": "http://127.0.0.1:9/never-fetched"},
        "claims_mapping": {"scope": "scopes", "groups": "teams", "nested.team": "teams"},
    }))
    .expect("the fuzz config is valid");
    let jwks = serde_json::from_str(include_str!("../jwks.json")).expect("jwks.json is a JWK set");
    JwtVerifier::new(&config, &jwks).expect("the verifier builds")
});

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(user) = VERIFIER.verify(token) {
        assert!(!user.principal.is_empty());
        assert!(user.expires_at.is_some_and(|at| at > SystemTime::now()));
    }
});
