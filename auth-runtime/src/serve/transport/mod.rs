//! Serving connections: plain HTTP/1 or HTTPS with rustls (mutual TLS when a
//! client CA is configured), a header-read timeout, a cap on concurrent
//! connections and a request body limit (DESIGN.md "Transport").
//!
//! A client that holds a connection without finishing its request head is
//! closed after `header_read_timeout` (hyper counts the wait for the next
//! request on a kept-alive connection the same way, so it is also the idle
//! timeout); a TLS handshake gets the same time. At most `max_connections`
//! are served at once: further connections wait in the listen backlog until
//! one ends, and the ones being served keep being answered.

#[cfg(feature = "server")]
mod accept;
#[cfg(feature = "server")]
mod body;
mod limits;
#[cfg(feature = "server")]
mod open_files;
#[cfg(feature = "server")]
mod routers;
#[cfg(feature = "server")]
mod timer;
#[cfg(feature = "server")]
mod tls;

use std::sync::Arc;

use axum::Router;

#[cfg(not(feature = "server"))]
use crate::config::ConfigError;
use crate::config::{ConfigErrors, ServerConfig};

pub(crate) use limits::{DEFAULT_MAX_REQUEST_BODY_BYTES, Limits};
#[cfg(feature = "server")]
pub(crate) use routers::Routers;

/// How connections are served: TLS or not, and the limits.
#[derive(Clone)]
pub struct Transport {
    tls: Option<Arc<rustls::ServerConfig>>,
    /// Whether clients must present a certificate (mutual TLS).
    client_certificates: bool,
    /// `server.cors`, outside the security pipeline.
    cors: Option<tower_http::cors::CorsLayer>,
    pub(crate) limits: Limits,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("tls", &self.tls.is_some())
            .field("client_certificates", &self.client_certificates)
            .field("cors", &self.cors.is_some())
            .field("limits", &self.limits)
            .finish()
    }
}

impl Transport {
    /// The transport `server` describes: TLS files read and checked, limits
    /// checked; every error names its field. Without the `server` feature,
    /// the keys only the server applies (address, TLS, connection limits and
    /// timeouts) are errors: nothing in such a build would apply them.
    pub fn from_config(server: &ServerConfig) -> Result<Transport, ConfigErrors> {
        let mut errors = Vec::new();
        let limits = limits::limits(server.limits.as_ref(), server.metrics.as_ref(), &mut errors);
        #[cfg(feature = "server")]
        let tls = match tls::tls(server) {
            Ok(tls) => tls,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        // Nothing here would apply them: refused, never ignored.
        #[cfg(not(feature = "server"))]
        let tls: Option<rustls::ServerConfig> = {
            errors.extend(served_only(server));
            None
        };
        let cors = match crate::serve::cors::layer(server.cors.as_ref()) {
            Ok(cors) => cors,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        ConfigErrors::check(errors)?;
        Ok(Transport {
            client_certificates: server.tls_cafile.is_some(),
            tls: tls.map(Arc::new),
            cors,
            limits,
        })
    }

    /// The limits connections are served under (`server.limits`).
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Whether connections are HTTPS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Whether clients must present a certificate the CA signed.
    pub fn requires_client_certificates(&self) -> bool {
        self.client_certificates
    }

    /// The transport's own layers around `router`: the body limit and CORS,
    /// the first two a request passes (the rest, after the route match, in
    /// `pipeline/stack.rs`).
    pub fn wrap(&self, router: Router) -> Router {
        // axum's extractors already stop at the default; another limit
        // costs a layer around every route, so only when configured.
        let router = if self.limits.max_request_body_bytes == DEFAULT_MAX_REQUEST_BODY_BYTES {
            router
        } else {
            router.layer(axum::extract::DefaultBodyLimit::max(
                self.limits.max_request_body_bytes,
            ))
        };
        // Outermost, so a preflight is answered before any security step.
        match &self.cors {
            Some(cors) => router.layer(cors.clone()),
            None => router,
        }
    }
}

/// The keys of `server` set in `server` that only the `server` feature's
/// listener applies, each as an error naming it.
#[cfg(not(feature = "server"))]
fn served_only(server: &ServerConfig) -> Vec<ConfigError> {
    let limits = server.limits.as_ref();
    let set = [
        ("server.host", server.host.is_some()),
        ("server.port", server.port.is_some()),
        ("server.tls_certfile", server.tls_certfile.is_some()),
        ("server.tls_keyfile", server.tls_keyfile.is_some()),
        ("server.tls_cafile", server.tls_cafile.is_some()),
        (
            "server.limits.header_read_timeout",
            limits.is_some_and(|l| l.header_read_timeout.is_some()),
        ),
        (
            "server.limits.max_connections",
            limits.is_some_and(|l| l.max_connections.is_some()),
        ),
        (
            "server.limits.body_read_timeout",
            limits.is_some_and(|l| l.body_read_timeout.is_some()),
        ),
        // Applied around the router by the transport's `wrap`, which only
        // the `server` feature's app calls: a router an embedder builds
        // would never see them.
        ("server.cors", server.cors.is_some()),
        (
            "server.limits.max_request_body_bytes",
            limits.is_some_and(|l| l.max_request_body_bytes.is_some()),
        ),
        (
            "server.metrics.max_connections",
            server
                .metrics
                .as_ref()
                .is_some_and(|m| m.max_connections.is_some()),
        ),
    ];
    set.into_iter()
        .filter(|(_, set)| *set)
        .map(|(field, _)| ConfigError::field(field, NO_SERVER))
        .collect()
}

/// Why a key only the server applies is refused.
#[cfg(not(feature = "server"))]
const NO_SERVER: &str = "this build of auth-runtime has no `server` feature, so nothing serves \
     connections under it: remove the key, or enable the feature";

#[cfg(not(feature = "server"))]
#[cfg(test)]
mod tests {
    use super::*;

    fn server(yaml: &str) -> ServerConfig {
        crate::config::Config::parse(yaml, "test", &|_| None)
            .unwrap()
            .server
    }

    /// Without the `server` feature nothing listens: the keys only the
    /// listener applies are refused, each by name, never ignored.
    #[test]
    fn without_the_server_feature_the_listener_keys_are_refused() {
        let errors = Transport::from_config(&server(
            "server:\n  host: 0.0.0.0\n  port: 8443\n  tls_certfile: cert.pem\n  tls_keyfile: key.pem\n  tls_cafile: ca.pem\n  limits: {header_read_timeout: 5, max_connections: 10, body_read_timeout: 5}\n  metrics: {address: '127.0.0.1:0', max_connections: 4}\n",
        ))
        .unwrap_err();
        let fields: Vec<String> = errors
            .iter()
            .map(|e| {
                e.to_string()
                    .split('`')
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        assert_eq!(
            fields,
            [
                "server.host",
                "server.port",
                "server.tls_certfile",
                "server.tls_keyfile",
                "server.tls_cafile",
                "server.limits.header_read_timeout",
                "server.limits.max_connections",
                "server.limits.body_read_timeout",
                "server.metrics.max_connections",
            ]
        );
        assert!(
            errors.first().to_string().contains("no `server` feature"),
            "{}",
            errors.first()
        );
    }

    /// CORS and the body limit are the app's transport's too (a router an
    /// embedder builds never sees them): refused, never ignored; a config
    /// without any of these keys is a transport without TLS.
    #[test]
    fn without_the_server_feature_the_body_limit_and_cors_are_refused() {
        let Err(errors) = Transport::from_config(&server(
            "server:\n  cors: true\n  limits: {max_request_body_bytes: 1024}\n",
        )) else {
            panic!("accepted");
        };
        let fields: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert!(fields[0].contains("server.cors"), "{fields:?}");
        assert!(
            fields[1].contains("server.limits.max_request_body_bytes"),
            "{fields:?}"
        );
        let transport = Transport::from_config(&server("server: {}\n")).unwrap();
        assert!(!transport.is_tls());
    }
}
