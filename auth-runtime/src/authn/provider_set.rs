//! Several providers on one server (`server.auth.providers`), and the name
//! each gives the users it authenticates.
//!
//! A token goes to at most one remote provider, chosen from the token itself,
//! never by trying them in turn: local providers (`api_keys`) first; then a
//! JWT to the provider whose `issuer` lists its (unverified) `iss`, else to
//! the one provider that takes JWTs of any issuer; any other token to the one
//! provider that takes opaque tokens. The config checks made that choice
//! unambiguous; a token no provider could have issued is 401 without asking
//! anyone.
//!
//! Among several providers, every user's principal is qualified by its
//! provider's name (`<name>:<principal>`, see [`User::principal`]), so two
//! providers' users never share an identity; and every verdict comes with the
//! name of the provider that gave it ([`NO_PROVIDER`] when none did), for the
//! metrics, the logs and the decision log.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::{AuthError, AuthProvider, RequestHead};
use crate::config::Takes;
use crate::principal::User;

/// A provider, its configured name, and what it may be sent.
pub(crate) struct Member<'c> {
    pub name: Arc<str>,
    pub provider: Arc<dyn AuthProvider>,
    pub takes: Takes<'c>,
}

/// What labels (metrics, logs, the decision log) an authentication no
/// configured provider decided: no credentials were sent, or the token is
/// one no configured provider could have issued (no local provider knew
/// it and no remote provider takes its kind). Not a valid provider `name`,
/// so it never stands for one.
pub(crate) const NO_PROVIDER: &str = "(none)";

/// One configured provider, by name.
struct Configured {
    name: Arc<str>,
    provider: Arc<dyn AuthProvider>,
}

/// The configured providers, routed by token.
pub(crate) struct ProviderSet {
    /// Checked in turn, in config order, before any remote provider.
    locals: Vec<Configured>,
    remotes: Vec<Configured>,
    /// A JWT's `iss` -> its provider in `remotes`.
    by_issuer: HashMap<String, usize>,
    /// The provider for JWTs of an issuer nobody lists.
    any_jwt: Option<usize>,
    /// The provider for tokens that are not JWTs.
    opaque: Option<usize>,
    /// The 401 hint without credentials: every provider's.
    hint: String,
}

/// Where a token goes.
enum Choice<'s> {
    /// Answered already (a local provider knew it, or nobody may be asked),
    /// by the provider named.
    Answered(&'s str, Result<Arc<User>, AuthError>),
    Remote(&'s Configured),
}

/// A verdict and the name of the provider that gave it ([`NO_PROVIDER`]
/// when none did).
pub(crate) type Verdict<'s> = (&'s str, Result<Arc<User>, AuthError>);

impl ProviderSet {
    pub(crate) fn new(members: Vec<Member<'_>>) -> Self {
        let hint = hint(
            members
                .iter()
                .map(|m| m.provider.missing_credentials_message()),
        );
        let mut set = ProviderSet {
            locals: Vec::new(),
            remotes: Vec::new(),
            by_issuer: HashMap::new(),
            any_jwt: None,
            opaque: None,
            hint,
        };
        for member in members {
            let named = Configured {
                name: member.name,
                provider: member.provider,
            };
            if member.takes.local {
                set.locals.push(named);
                continue;
            }
            let index = set.remotes.len();
            set.remotes.push(named);
            for issuer in member.takes.issuers.into_iter().flat_map(|i| i.iter()) {
                set.by_issuer.entry(issuer.to_owned()).or_insert(index);
            }
            if member.takes.any_jwt {
                set.any_jwt.get_or_insert(index);
            }
            if member.takes.opaque {
                set.opaque.get_or_insert(index);
            }
        }
        set
    }

    fn choose(&self, token: &str, request: RequestHead<'_>) -> Choice<'_> {
        let mut rejected = None;
        for local in &self.locals {
            match local.provider.authenticate_now(Some(token), request) {
                Some(Err(AuthError::Rejected(reason))) => rejected = Some(reason),
                // A local provider answers at once; one that accepted, or
                // failed otherwise, decides.
                Some(answer) => return Choice::Answered(&local.name, answer),
                // Never for `api_keys`, the only local provider.
                None => {}
            }
        }
        let remote = match jwt_issuer(token) {
            Some(Some(iss)) => self.by_issuer.get(iss.as_str()).copied().or(self.any_jwt),
            Some(None) => self.any_jwt,
            None => self.opaque,
        };
        match remote {
            Some(index) => Choice::Remote(&self.remotes[index]),
            None => Choice::Answered(
                NO_PROVIDER,
                Err(AuthError::Rejected(
                    rejected.unwrap_or_else(|| "Invalid token".to_owned()),
                )),
            ),
        }
    }

    /// The verdict on `token`, and the name of the provider that gave it.
    pub(crate) async fn decide(
        &self,
        token: Option<&str>,
        request: RequestHead<'_>,
    ) -> Verdict<'_> {
        let token = match super::require_token(token) {
            Ok(token) => token,
            Err(e) => return (NO_PROVIDER, Err(e)),
        };
        match self.choose(token, request) {
            Choice::Answered(name, answer) => (name, answer),
            Choice::Remote(remote) => (
                &remote.name,
                remote.provider.authenticate(Some(token), request).await,
            ),
        }
    }

    /// [`decide`](Self::decide) when the chosen provider can answer
    /// without waiting; `None` when it cannot.
    pub(crate) fn decide_now(
        &self,
        token: Option<&str>,
        request: RequestHead<'_>,
    ) -> Option<Verdict<'_>> {
        let token = match super::require_token(token) {
            Ok(token) => token,
            Err(e) => return Some((NO_PROVIDER, Err(e))),
        };
        match self.choose(token, request) {
            Choice::Answered(name, answer) => Some((name, answer)),
            Choice::Remote(remote) => Some((
                &remote.name,
                remote.provider.authenticate_now(Some(token), request)?,
            )),
        }
    }
}

#[async_trait]
impl AuthProvider for ProviderSet {
    async fn authenticate(
        &self,
        token: Option<&str>,
        request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError> {
        self.decide(token, request).await.1
    }

    fn authenticate_now(
        &self,
        token: Option<&str>,
        request: RequestHead<'_>,
    ) -> Option<Result<Arc<User>, AuthError>> {
        self.decide_now(token, request).map(|(_, answer)| answer)
    }

    fn missing_credentials_message(&self) -> String {
        self.hint.clone()
    }

    fn name(&self) -> &'static str {
        "providers"
    }
}

/// One hint from every provider's: "Authentication required. Please provide
/// A, or B, or C".
fn hint(messages: impl Iterator<Item = String>) -> String {
    const LEAD: &str = "Authentication required. Please provide ";
    let parts: Vec<String> = messages
        .map(|m| m.strip_prefix(LEAD).map_or(m.clone(), str::to_owned))
        .collect();
    format!("{LEAD}{}", parts.join(", or "))
}

/// `Some(iss)` when the token has a JWT's shape (three base64url parts, the
/// first a JSON object with `alg`): its unverified `iss`, if it has one as a
/// string. `None` for any other token. Only routes the token; the chosen
/// provider verifies everything.
fn jwt_issuer(token: &str) -> Option<Option<String>> {
    let mut parts = token.split('.');
    let (header, payload) = (parts.next()?, parts.next()?);
    if parts.next().is_none() || parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    header.get("alg")?;
    let iss = URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|payload| serde_json::from_slice::<Value>(&payload).ok())
        .and_then(|claims| match claims.get("iss") {
            Some(Value::String(iss)) => Some(iss.clone()),
            _ => None,
        });
    Some(iss)
}

/// A provider whose users carry its configured name
/// ([`User::provider`]) and, among several providers, are qualified by it
/// ([`User::principal`] is `<name>:<principal>`). Sits under the validation
/// cache, so a user is named once per validation, not per request.
pub(crate) struct Named {
    inner: Arc<dyn AuthProvider>,
    name: Arc<str>,
    qualify: bool,
    /// `server.tenancy.mode: single`: the tenant every user is put in.
    stamp: Option<Arc<str>>,
    /// Where its latency is measured, when metrics are on.
    metrics: Option<Arc<crate::telemetry::metrics::Metrics>>,
}

impl Named {
    pub(crate) fn new(inner: Arc<dyn AuthProvider>, name: Arc<str>, qualify: bool) -> Self {
        Named {
            inner,
            name,
            qualify,
            stamp: None,
            metrics: None,
        }
    }

    /// Puts every user in `tenant` (`server.tenancy.mode: single`), under
    /// the validation cache: once per validation, not per request.
    pub(crate) fn stamped(mut self, tenant: Option<&Arc<str>>) -> Self {
        self.stamp = tenant.cloned();
        self
    }

    /// Measures the provider's latency in `metrics`.
    pub(crate) fn counted(
        mut self,
        metrics: Option<&Arc<crate::telemetry::metrics::Metrics>>,
    ) -> Self {
        self.metrics = metrics.cloned();
        self
    }

    fn name_it(&self, mut user: Arc<User>) -> Arc<User> {
        if !user.named_by(&self.name, self.qualify) {
            // A fresh user (the provider's own, not shared): no copy.
            Arc::make_mut(&mut user).name_provider(&self.name, self.qualify);
        }
        if let Some(tenant) = &self.stamp
            && user.tenant() != Some(&**tenant)
        {
            Arc::make_mut(&mut user).stamp_tenant(tenant);
        }
        user
    }
}

#[async_trait]
impl AuthProvider for Named {
    async fn authenticate(
        &self,
        token: Option<&str>,
        request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError> {
        let started = std::time::Instant::now();
        let outcome = self.inner.authenticate(token, request).await;
        if let Some(metrics) = &self.metrics {
            metrics.provider_latency(&self.name, started.elapsed());
        }
        Ok(self.name_it(outcome?))
    }

    fn authenticate_now(
        &self,
        token: Option<&str>,
        request: RequestHead<'_>,
    ) -> Option<Result<Arc<User>, AuthError>> {
        let answer = self.inner.authenticate_now(token, request)?;
        Some(answer.map(|user| self.name_it(user)))
    }

    fn requires_bearer(&self) -> bool {
        self.inner.requires_bearer()
    }

    fn missing_credentials_message(&self) -> String {
        self.inner.missing_credentials_message()
    }

    fn name(&self) -> &'static str {
        self.inner.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn a_jwt_is_known_by_its_shape_and_routed_by_its_iss() {
        let header = b64(r#"{"alg":"RS256","kid":"k"}"#);
        let with_iss = format!("{header}.{}.sig", b64(r#"{"iss":"https://a","sub":"x"}"#));
        assert_eq!(jwt_issuer(&with_iss), Some(Some("https://a".to_owned())));
        let no_iss = format!("{header}.{}.sig", b64(r#"{"sub":"x"}"#));
        assert_eq!(jwt_issuer(&no_iss), Some(None));
        let odd_iss = format!("{header}.{}.sig", b64(r#"{"iss":["https://a"]}"#));
        assert_eq!(jwt_issuer(&odd_iss), Some(None));
        let bad_payload = format!("{header}.!!!.sig");
        assert_eq!(jwt_issuer(&bad_payload), Some(None));
        for opaque in [
            "ghp_abcdef",
            "a.b.c",
            "a.b",
            &format!("{header}.x.y.z"),
            &format!("{header}.x.y.z.w"),
            &format!("{}.x.y", b64(r#"{"typ":"JWT"}"#)),
            &format!("{}.x.y", b64("[1]")),
        ] {
            assert_eq!(jwt_issuer(opaque), None, "{opaque}");
        }
    }

    /// A remote provider that takes any token and gives the principal `admin`.
    struct Admin;

    #[async_trait]
    impl AuthProvider for Admin {
        async fn authenticate(
            &self,
            _: Option<&str>,
            _: RequestHead<'_>,
        ) -> Result<Arc<User>, AuthError> {
            Ok(Arc::new(User::new("admin", Default::default())))
        }
    }

    #[tokio::test]
    async fn each_verdict_names_its_provider_and_each_user_is_qualified() {
        use crate::authn::providers::ApiKeyProvider;
        use crate::config::{ApiKeyConfig, ApiKeysConfig};
        let keys: Arc<str> = "keys".into();
        let partners: Arc<str> = "partners".into();
        let local = ApiKeyProvider::new(&ApiKeysConfig {
            keys: vec![ApiKeyConfig {
                key: Some("k".into()),
                key_sha256: None,
                principal: "admin".into(),
                attributes: Default::default(),
                tenant: None,
            }],
        })
        .unwrap()
        .named(&keys, true, None);
        let set = ProviderSet::new(vec![
            Member {
                name: keys.clone(),
                provider: Arc::new(local),
                takes: Takes {
                    local: true,
                    ..Takes::default()
                },
            },
            Member {
                name: partners.clone(),
                provider: Arc::new(Named::new(Arc::new(Admin), partners.clone(), true)),
                takes: Takes {
                    any_jwt: true,
                    ..Takes::default()
                },
            },
        ]);
        let (method, uri, headers) = (
            axum::http::Method::GET,
            axum::http::Uri::from_static("/"),
            axum::http::HeaderMap::new(),
        );
        let head = RequestHead {
            method: &method,
            uri: &uri,
            headers: &headers,
        };
        let jwt = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"ES256"}"#),
            b64(r#"{"iss":"https://p","sub":"admin"}"#)
        );
        let verdict = |(by, answer): Verdict<'_>| {
            (
                by.to_owned(),
                answer.map(|u| (u.principal.clone(), u.unqualified_principal().to_owned())),
            )
        };
        assert_eq!(
            verdict(set.decide(Some("k"), head).await),
            ("keys".into(), Ok(("keys:admin".into(), "admin".into())))
        );
        assert_eq!(
            verdict(set.decide(Some(&jwt), head).await),
            (
                "partners".into(),
                Ok(("partners:admin".into(), "admin".into()))
            )
        );
        // Nobody takes opaque tokens: no provider decided.
        assert_eq!(
            verdict(set.decide(Some("opaque"), head).await),
            (
                NO_PROVIDER.into(),
                Err(AuthError::Rejected("Invalid API key".into()))
            )
        );
        assert_eq!(verdict(set.decide(None, head).await).0, NO_PROVIDER);
        // The local answer needs no waiting; the remote's does.
        assert_eq!(set.decide_now(Some("k"), head).map(|v| v.0), Some("keys"));
        assert!(set.decide_now(Some(&jwt), head).is_none());
    }

    #[test]
    fn the_hint_names_every_provider() {
        let messages = [
            "Authentication required. Please provide your API key as a Bearer token in the Authorization header",
            "Authentication required. Please provide a valid OAuth2 Bearer token from https://a",
            "Send a GitHub token",
        ];
        assert_eq!(
            hint(messages.iter().map(|m| (*m).to_owned())),
            "Authentication required. Please provide your API key as a Bearer token in the Authorization header, or a valid OAuth2 Bearer token from https://a, or Send a GitHub token"
        );
    }
}
