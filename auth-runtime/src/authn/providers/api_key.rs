//! `type: api_keys`: static keys, never kept in clear. A key given in clear
//! is kept as its [`TokenTags`] tag (a keyed SipHash drawn at startup); a key
//! given as `key_sha256` as that digest. A presented token is looked up in
//! one map (O(1), whatever the number of keys): by its tag, then, only when
//! the config holds `key_sha256` keys, by its SHA-256. A tag or a digest says
//! nothing about its key, and the time a lookup takes says nothing about the
//! stored ones (the tag key is secret; SHA-256 is preimage resistant).

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use async_trait::async_trait;

use super::ProviderError;
use crate::authn::{AuthError, AuthProvider, RequestHead};
use crate::config::ApiKeysConfig;
use crate::digest::{TagHash, TokenTags, sha256};
use crate::principal::User;

/// A key's user, and the index of the key in the config.
type Holder = (usize, Arc<User>);

/// Authenticates callers by static API keys.
pub(crate) struct ApiKeyProvider {
    tags: TokenTags,
    /// Keys given in clear, by tag.
    by_tag: HashMap<u128, Holder, TagHash>,
    /// Keys given as `key_sha256`, by digest.
    by_digest: HashMap<[u8; 32], Holder>,
}

impl ApiKeyProvider {
    /// Tags keys given in clear; two entries with one key are an error.
    pub(crate) fn new(config: &ApiKeysConfig) -> Result<Self, ProviderError> {
        let tags = TokenTags::new();
        let mut by_tag = HashMap::with_capacity_and_hasher(config.keys.len(), TagHash);
        let mut by_digest = HashMap::new();
        // Every key by digest, at startup only: one key given both ways is a
        // duplicate too.
        let mut seen: HashMap<[u8; 32], usize> = HashMap::with_capacity(config.keys.len());
        for (i, key) in config.keys.iter().enumerate() {
            let digest: [u8; 32] = match (&key.key, &key.key_sha256) {
                (Some(clear), _) => sha256(clear.as_bytes()),
                (None, Some(hex_digest)) => {
                    let mut out = [0u8; 32];
                    hex::decode_to_slice(hex_digest, &mut out)
                        .map_err(|_| ProviderError::KeyDigest { index: i })?;
                    out
                }
                (None, None) => {
                    return Err(ProviderError::NoKey { index: i });
                }
            };
            match seen.entry(digest) {
                Entry::Occupied(first) => {
                    return Err(ProviderError::DuplicateKey {
                        index: i,
                        first: *first.get(),
                    });
                }
                Entry::Vacant(slot) => {
                    slot.insert(i);
                }
            }
            let mut user = User::new(key.principal.clone(), key.attributes.clone());
            if let Some(tenant) = &key.tenant {
                user = user
                    .with_tenant(tenant)
                    .map_err(|source| ProviderError::KeyTenant { index: i, source })?;
            }
            let holder = (i, Arc::new(user));
            match &key.key {
                // Distinct keys with one 128-bit tag: as likely as guessing the
                // tag key; refused rather than assumed away.
                Some(clear) => {
                    if by_tag.insert(tags.tag(clear.as_bytes()), holder).is_some() {
                        return Err(ProviderError::TagCollision { index: i });
                    }
                }
                None => {
                    by_digest.insert(digest, holder);
                }
            }
        }
        Ok(ApiKeyProvider {
            tags,
            by_tag,
            by_digest,
        })
    }

    /// The same keys, their users carrying `name` ([`User::provider`]) and,
    /// with `qualify` (several providers), qualified by it
    /// (`<name>:<principal>`). Once, at startup: a lookup copies nothing.
    pub(crate) fn named(mut self, name: &Arc<str>, qualify: bool, stamp: Option<&str>) -> Self {
        for (_, user) in self.by_tag.values_mut().chain(self.by_digest.values_mut()) {
            let user = Arc::make_mut(user);
            user.name_provider(name, qualify);
            if let Some(tenant) = stamp {
                user.stamp_tenant(tenant);
            }
        }
        self
    }

    /// The user of the key `token` is, and its index.
    fn find(&self, token: &str) -> Option<&Holder> {
        let token = token.as_bytes();
        match self.by_tag.get(&self.tags.tag(token)) {
            Some(holder) => Some(holder),
            None if self.by_digest.is_empty() => None,
            None => self.by_digest.get(&sha256(token)),
        }
    }
}

impl ApiKeyProvider {
    fn lookup(&self, token: Option<&str>) -> Result<Arc<User>, AuthError> {
        let token = crate::authn::require_token(token)?;
        match self.find(token) {
            Some((_, user)) => Ok(user.clone()),
            None => Err(AuthError::Rejected("Invalid API key".into())),
        }
    }
}

#[async_trait]
impl AuthProvider for ApiKeyProvider {
    async fn authenticate(
        &self,
        token: Option<&str>,
        _request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError> {
        self.lookup(token)
    }

    fn authenticate_now(
        &self,
        token: Option<&str>,
        _request: RequestHead<'_>,
    ) -> Option<Result<Arc<User>, AuthError>> {
        Some(self.lookup(token))
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
            tenant: None,
        }
    }

    #[test]
    fn finds_keys_given_in_clear_or_hashed() {
        let hashed = hex::encode(sha256(b"second"));
        let provider = ApiKeyProvider::new(&ApiKeysConfig {
            keys: vec![
                key(Some("first"), None, "a"),
                key(None, Some(hashed), "b"),
                key(Some("third"), None, "c"),
            ],
        })
        .unwrap();
        let index = |t: &str| {
            provider
                .find(t)
                .map(|(i, user)| (*i, user.principal.clone()))
        };
        assert_eq!(index("first"), Some((0, "a".into())));
        assert_eq!(index("second"), Some((1, "b".into())));
        assert_eq!(index("third"), Some((2, "c".into())));
        assert_eq!(index("fourth"), None);
        assert_eq!(index(""), None);
    }

    #[test]
    fn duplicate_and_empty_key_lists() {
        let err = ApiKeyProvider::new(&ApiKeysConfig {
            keys: vec![
                key(Some("k"), None, "a"),
                key(None, Some(hex::encode(sha256(b"k"))), "b"),
            ],
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("keys[1]"), "{err}");
        let none = ApiKeyProvider::new(&ApiKeysConfig { keys: vec![] }).unwrap();
        assert!(none.find("anything").is_none());
    }

    #[test]
    fn answers_without_waiting_with_its_hint_and_name() {
        use axum::http::{HeaderMap, Method, Uri};
        let provider = ApiKeyProvider::new(&ApiKeysConfig {
            keys: vec![key(Some("k"), None, "a")],
        })
        .unwrap();
        let (method, uri, headers) = (Method::GET, Uri::from_static("/"), HeaderMap::new());
        let head = RequestHead {
            method: &method,
            uri: &uri,
            headers: &headers,
        };
        // A local lookup: the pipeline serves it without boxing a future.
        let now = provider.authenticate_now(Some("k"), head);
        assert_eq!(
            now.and_then(Result::ok).map(|u| u.principal.clone()),
            Some("a".into())
        );
        assert_eq!(
            provider
                .authenticate_now(Some("nope"), head)
                .and_then(Result::err),
            Some(AuthError::Rejected("Invalid API key".into()))
        );
        assert_eq!(
            provider.missing_credentials_message(),
            "Authentication required. Please provide your API key as a Bearer token in the Authorization header"
        );
        assert_eq!(provider.name(), "api_keys");
    }
}
