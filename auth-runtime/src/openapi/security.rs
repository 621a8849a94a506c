//! `components.securitySchemes` from the configured providers, and each
//! operation's `security` requirement.

use serde_json::{Map, Value, json};

use crate::config::{ConfiguredProvider, ProviderConfig};

/// The schemes a protected operation accepts: any one of them suffices.
pub(super) struct Schemes {
    /// Scheme name -> scheme object, in config order.
    pub(super) schemes: Vec<(String, Value)>,
}

impl Schemes {
    /// One scheme per provider (`openIdConnect` as well for each configured
    /// issuer of an `oauth2_token` provider); a provider set in code is a
    /// plain bearer scheme.
    pub(super) fn new(providers: &[ConfiguredProvider], provider_in_code: bool) -> Schemes {
        let mut schemes = Vec::new();
        if provider_in_code {
            schemes.push(("bearer".to_owned(), bearer(None, "A bearer token.")));
        } else {
            for provider in providers {
                add(&mut schemes, provider);
            }
        }
        Schemes { schemes }
    }

    /// `security` of an operation: `[]` when public; else one alternative
    /// per scheme, naming the route's scope.
    pub(super) fn requirement(&self, protected: bool, scope: Option<&str>) -> Value {
        if !protected {
            return json!([]);
        }
        let scopes: Vec<&str> = scope.into_iter().collect();
        Value::Array(
            self.schemes
                .iter()
                .map(|(name, _)| json!({ name: scopes }))
                .collect(),
        )
    }

    /// `components.securitySchemes`.
    pub(super) fn components(&self) -> Map<String, Value> {
        self.schemes.iter().cloned().collect()
    }
}

fn bearer(format: Option<&str>, description: &str) -> Value {
    let mut scheme = json!({"type": "http", "scheme": "bearer", "description": description});
    if let Some(format) = format {
        scheme["bearerFormat"] = json!(format);
    }
    scheme
}

fn add(schemes: &mut Vec<(String, Value)>, provider: &ConfiguredProvider) {
    let name = provider.name.clone();
    let scheme = match &provider.config {
        ProviderConfig::ApiKeys(_) => bearer(None, "An API key, sent as a bearer token."),
        ProviderConfig::Custom(_) => bearer(
            None,
            "A bearer token, validated by the configured authentication endpoint.",
        ),
        ProviderConfig::GithubToken(_) => bearer(None, "A GitHub access token."),
        ProviderConfig::Kubernetes(_) => bearer(None, "A Kubernetes service account token."),
        ProviderConfig::OAuth2Token(oauth) => {
            if oauth.verifies_jwts() {
                bearer(Some("JWT"), "An OAuth 2.0 access token (a signed JWT).")
            } else {
                bearer(
                    None,
                    "An OAuth 2.0 access token, checked by token introspection.",
                )
            }
        }
        ProviderConfig::UpstreamHeader(upstream) => json!({
            "type": "apiKey",
            "in": "header",
            "name": upstream.principal_header,
            "description": "The principal, set by the authenticating proxy in front of this server.",
        }),
    };
    schemes.push((name.clone(), scheme));
    if let ProviderConfig::OAuth2Token(oauth) = &provider.config
        && let Some(issuers) = &oauth.issuer
    {
        for (i, issuer) in issuers.iter().enumerate() {
            let suffix = if i == 0 {
                String::new()
            } else {
                format!("_{}", i + 1)
            };
            schemes.push((
                format!("{name}_oidc{suffix}"),
                json!({
                    "type": "openIdConnect",
                    "openIdConnectUrl": format!(
                        "{}/.well-known/openid-configuration",
                        issuer.trim_end_matches('/')
                    ),
                }),
            ));
        }
    }
}
