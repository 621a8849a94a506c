//! `type: api_keys`: static keys. Only SHA-256 digests are kept; a presented
//! token is hashed and compared with every digest in constant time.

use std::sync::Arc;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};

use crate::authn::{AuthError, AuthProvider, RequestHead};
use crate::config::{ApiKeysConfig, ConfigError};
use crate::principal::User;

/// Authenticates callers by static API keys.
pub struct ApiKeyProvider {
    keys: Vec<([u8; 32], Arc<User>)>,
}

impl ApiKeyProvider {
    /// Hashes keys given in clear; two entries with one key are an error.
    pub fn new(config: &ApiKeysConfig) -> Result<Self, ConfigError> {
        let mut keys: Vec<([u8; 32], Arc<User>)> = Vec::with_capacity(config.keys.len());
        for (i, key) in config.keys.iter().enumerate() {
            let digest: [u8; 32] = match (&key.key, &key.key_sha256) {
                (Some(clear), _) => Sha256::digest(clear.as_bytes()).into(),
                (None, Some(hex_digest)) => {
                    let mut out = [0u8; 32];
                    hex::decode_to_slice(hex_digest, &mut out).map_err(|_| {
                        ConfigError::field(format!("keys[{i}].key_sha256"), "must be 64 hex digits")
                    })?;
                    out
                }
                (None, None) => {
                    return Err(ConfigError::field(
                        format!("keys[{i}]"),
                        "needs `key` or `key_sha256`",
                    ));
                }
            };
            if let Some(j) = keys.iter().position(|(d, _)| *d == digest) {
                return Err(ConfigError::field(
                    format!("keys[{i}]"),
                    format!("the same key as keys[{j}]"),
                ));
            }
            keys.push((
                digest,
                Arc::new(User::new(key.principal.clone(), key.attributes.clone())),
            ));
        }
        Ok(ApiKeyProvider { keys })
    }

    /// The index of the key whose digest matches. Every digest is compared,
    /// in constant time, whether or not an earlier one matched.
    fn find(&self, token: &str) -> Option<usize> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = 0u64;
        let mut any = Choice::from(0);
        for (i, (candidate, _)) in self.keys.iter().enumerate() {
            let hit = candidate.ct_eq(&digest);
            found.conditional_assign(&(i as u64), hit);
            any |= hit;
        }
        bool::from(any).then_some(found as usize)
    }
}

#[async_trait]
impl AuthProvider for ApiKeyProvider {
    async fn authenticate(
        &self,
        token: Option<&str>,
        _request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError> {
        let token = crate::authn::require_token(token)?;
        match self.find(token) {
            Some(i) => Ok(self.keys[i].1.clone()),
            None => Err(AuthError::Rejected("Invalid API key".into())),
        }
    }

    fn missing_credentials_message(&self) -> String {
        "Authentication required. Please provide your API key as a Bearer token in the Authorization header".into()
    }

    fn name(&self) -> &'static str {
        "api_keys"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ApiKeyConfig;

    fn key(key: Option<&str>, sha: Option<String>, principal: &str) -> ApiKeyConfig {
        ApiKeyConfig {
            key: key.map(str::to_owned),
            key_sha256: sha,
            principal: principal.into(),
            attributes: Default::default(),
        }
    }

    #[test]
    fn finds_keys_given_in_clear_or_hashed() {
        let hashed = hex::encode(Sha256::digest(b"second"));
        let provider = ApiKeyProvider::new(&ApiKeysConfig {
            keys: vec![
                key(Some("first"), None, "a"),
                key(None, Some(hashed), "b"),
                key(Some("third"), None, "c"),
            ],
        })
        .unwrap();
        assert_eq!(provider.find("first"), Some(0));
        assert_eq!(provider.find("second"), Some(1));
        assert_eq!(provider.find("third"), Some(2));
        assert_eq!(provider.find("fourth"), None);
        assert_eq!(provider.find(""), None);
    }

    #[test]
    fn duplicate_and_empty_key_lists() {
        let err = ApiKeyProvider::new(&ApiKeysConfig {
            keys: vec![
                key(Some("k"), None, "a"),
                key(None, Some(hex::encode(Sha256::digest(b"k"))), "b"),
            ],
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("keys[1]"), "{err}");
        let none = ApiKeyProvider::new(&ApiKeysConfig { keys: vec![] }).unwrap();
        assert_eq!(none.find("anything"), None);
    }
}
