//! `type: upstream_header`: a trusted gateway in front of the server already
//! authenticated the caller and says who it is in request headers.

use std::sync::Arc;

use async_trait::async_trait;
use axum::http::HeaderName;
use serde_json::Value;

use crate::authn::claims::invalid_tenant;
use crate::authn::{AuthError, AuthProvider, RequestHead};
use crate::config::UpstreamHeaderConfig;
use crate::principal::{Attributes, User};

/// Reads the principal (and JSON attributes) from configured headers.
pub(crate) struct UpstreamHeaderProvider {
    principal_header: HeaderName,
    attributes_header: Option<HeaderName>,
    tenant_header: Option<HeaderName>,
}

impl UpstreamHeaderProvider {
    /// Header names were checked when the config was loaded.
    pub(crate) fn new(config: &UpstreamHeaderConfig) -> Self {
        let name = |h: &str| {
            HeaderName::from_bytes(h.as_bytes())
                .unwrap_or(HeaderName::from_static("x-invalid-header"))
        };
        UpstreamHeaderProvider {
            principal_header: name(&config.principal_header),
            attributes_header: config.attributes_header.as_deref().map(name),
            tenant_header: config.tenant_header.as_deref().map(name),
        }
    }

    fn missing(&self) -> AuthError {
        AuthError::Rejected(format!(
            "Missing required authentication header: {}",
            self.principal_header
        ))
    }
}

#[async_trait]
impl AuthProvider for UpstreamHeaderProvider {
    async fn authenticate(
        &self,
        _token: Option<&str>,
        request: RequestHead<'_>,
    ) -> Result<Arc<User>, AuthError> {
        let mut values = request.headers.get_all(&self.principal_header).iter();
        let (Some(value), None) = (values.next(), values.next()) else {
            return Err(self.missing());
        };
        let principal = value.to_str().map_err(|_| self.missing())?.trim();
        if principal.is_empty() {
            return Err(self.missing());
        }
        let attributes = match &self.attributes_header {
            Some(header) => {
                // Two copies: one may be the client's, appended to by a
                // gateway that did not strip it. Neither is believed.
                let mut values = request.headers.get_all(header).iter();
                match (values.next(), values.next()) {
                    (Some(raw), None) => parse_attributes(raw.as_bytes())?,
                    (None, _) => Attributes::new(),
                    (Some(_), Some(_)) => {
                        return Err(AuthError::Rejected(format!(
                            "Failed to parse authentication attributes header: {header} sent more than once"
                        )));
                    }
                }
            }
            None => Attributes::new(),
        };
        let user = User::new(principal, attributes);
        let user = match &self.tenant_header {
            Some(header) => tenant(header, request.headers, user)?,
            None => user,
        };
        Ok(Arc::new(user))
    }

    fn requires_bearer(&self) -> bool {
        false
    }

    fn missing_credentials_message(&self) -> String {
        format!(
            "Authentication required. Upstream gateway must set the {} header",
            self.principal_header
        )
    }

    fn name(&self) -> &'static str {
        "upstream_header"
    }
}

/// `user` in the tenant the gateway's `header` names: none without the
/// header (or blank); two copies (one may be the client's, appended to by a
/// gateway that did not strip it), a value that is not text, or a malformed
/// one: a 401 naming the problem, never the value.
fn tenant(
    header: &HeaderName,
    headers: &axum::http::HeaderMap,
    user: User,
) -> Result<User, AuthError> {
    let mut values = headers.get_all(header).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(user),
        (Some(_), Some(_)) => Err(invalid_tenant(format_args!("{header} sent more than once"))),
        (Some(raw), None) => {
            let raw = std::str::from_utf8(raw.as_bytes())
                .map_err(|_| invalid_tenant(format_args!("{header} is not UTF-8")))?;
            user.with_tenant(raw).map_err(invalid_tenant)
        }
    }
}

/// A JSON object; each value a list (items stringified), a string, or any
/// other value stringified, as llama-stack normalises them. A key named
/// twice, at any depth, is refused as a JWT with a repeated claim is.
fn parse_attributes(raw: &[u8]) -> Result<Attributes, AuthError> {
    let parsed: Value = crate::authn::claims::from_slice_unique(raw).map_err(|e| {
        let why = if e.to_string().starts_with("duplicate key") {
            "a key is named twice"
        } else {
            "invalid JSON"
        };
        AuthError::Rejected(format!(
            "Failed to parse authentication attributes header: {why}"
        ))
    })?;
    let Value::Object(map) = parsed else {
        return Err(AuthError::Rejected(
            "Failed to parse authentication attributes header: expected JSON object".into(),
        ));
    };
    let text = |v: Value| match v {
        Value::String(s) => s,
        other => other.to_string(),
    };
    Ok(map
        .into_iter()
        .map(|(k, v)| {
            let values = match v {
                Value::Array(items) => items.into_iter().map(text).collect(),
                other => vec![text(other)],
            };
            (k, values)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_in_logs_and_metrics_and_needs_no_bearer() {
        let config: UpstreamHeaderConfig =
            serde_json::from_value(serde_json::json!({"principal_header": "x-auth-user"})).unwrap();
        let provider = UpstreamHeaderProvider::new(&config);
        assert_eq!(provider.name(), "upstream_header");
        assert!(!provider.requires_bearer());
        assert_eq!(
            provider.missing_credentials_message(),
            "Authentication required. Upstream gateway must set the x-auth-user header"
        );
    }

    #[test]
    fn attributes_are_normalised() {
        let a = parse_attributes(br#"{"roles": ["admin", 1], "team": "ml", "n": 3}"#).unwrap();
        assert_eq!(a["roles"], ["admin", "1"]);
        assert_eq!(a["team"], ["ml"]);
        assert_eq!(a["n"], ["3"]);
        assert!(
            matches!(parse_attributes(b"{nope"), Err(AuthError::Rejected(m)) if m.contains("invalid JSON"))
        );
        assert!(
            matches!(parse_attributes(b"[1]"), Err(AuthError::Rejected(m)) if m.contains("expected JSON object"))
        );
    }

    #[test]
    fn a_key_named_twice_is_refused_at_any_depth() {
        for raw in [
            &br#"{"roles": ["user"], "roles": ["admin"]}"#[..],
            br#"{"roles": ["user"], "teams": [], "roles": "admin"}"#,
            br#"{"meta": {"a": 1, "a": 2}}"#,
            br#"{"list": [{"x": 1, "x": 1}]}"#,
        ] {
            let text = String::from_utf8_lossy(raw);
            assert_eq!(
                parse_attributes(raw),
                Err(AuthError::Rejected(
                    "Failed to parse authentication attributes header: a key is named twice".into()
                )),
                "{text}"
            );
        }
        // The same key in two different objects is fine.
        let a =
            parse_attributes(br#"{"a": {"k": 1}, "b": {"k": 2}, "k": [1.5, null, true]}"#).unwrap();
        assert_eq!(a["a"], [r#"{"k":1}"#]);
        assert_eq!(a["k"], ["1.5", "null", "true"]);
    }
}
