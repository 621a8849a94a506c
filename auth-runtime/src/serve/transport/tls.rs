//! HTTPS: the rustls server config from `tls_certfile`, `tls_keyfile` and
//! `tls_cafile` (mutual TLS), and the log of failed handshakes.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::{ConfigError, ServerConfig};

/// The rustls config of `tls_certfile`, `tls_keyfile` and `tls_cafile`.
pub(super) fn tls(server: &ServerConfig) -> Result<Option<rustls::ServerConfig>, ConfigError> {
    // An empty name is a mistake, never "no TLS" (nor "no client certificates").
    for (field, value) in [
        ("server.tls_certfile", &server.tls_certfile),
        ("server.tls_keyfile", &server.tls_keyfile),
        ("server.tls_cafile", &server.tls_cafile),
    ] {
        if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
            return Err(ConfigError::field(
                field,
                "is empty: name a PEM file, or remove the field",
            ));
        }
    }
    let (cert, key) = match (&server.tls_certfile, &server.tls_keyfile) {
        (None, None) => {
            return match server.tls_cafile {
                Some(_) => Err(ConfigError::field(
                    "server.tls_cafile",
                    "client certificates need HTTPS: set tls_certfile and tls_keyfile too",
                )),
                None => Ok(None),
            };
        }
        (Some(_), None) => {
            return Err(ConfigError::field(
                "server.tls_keyfile",
                "required with tls_certfile",
            ));
        }
        (None, Some(_)) => {
            return Err(ConfigError::field(
                "server.tls_certfile",
                "required with tls_keyfile",
            ));
        }
        (Some(cert), Some(key)) => (cert, key),
    };
    let certs = certificates(Path::new(cert), "server.tls_certfile")?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        ConfigError::field(
            "server.tls_keyfile",
            format!("{key}: no usable private key ({e})"),
        )
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::field("server.tls_certfile", e.to_string()))?;
    let builder = match &server.tls_cafile {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in certificates(Path::new(ca), "server.tls_cafile")? {
                roots
                    .add(cert)
                    .map_err(|e| ConfigError::field("server.tls_cafile", format!("{ca}: {e}")))?;
            }
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(roots.into(), provider)
                    .build()
                    .map_err(|e| ConfigError::field("server.tls_cafile", format!("{ca}: {e}")))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(certs, key).map_err(|e| {
        ConfigError::field(
            "server.tls_keyfile",
            format!("does not fit tls_certfile: {e}"),
        )
    })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(config))
}

/// Every certificate of a PEM file; none is an error naming `field`.
fn certificates(path: &Path, field: &str) -> Result<Vec<CertificateDer<'static>>, ConfigError> {
    let shown = path.display();
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| ConfigError::field(field, format!("{shown}: {e}")))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ConfigError::field(field, format!("{shown}: {e}")))?;
    if certs.is_empty() {
        return Err(ConfigError::field(
            field,
            format!("{shown} holds no PEM certificate"),
        ));
    }
    Ok(certs)
}

/// How long a failed TLS handshake's peer and reason stay logged: the same
/// failure from the same address within it is not logged again.
pub(super) const HANDSHAKE_LOG_WINDOW: Duration = Duration::from_secs(60);

/// The (peer address, reason) pairs of failed TLS handshakes logged in the
/// last [`HANDSHAKE_LOG_WINDOW`], bounded: a client failing in a loop
/// writes one line a minute, not one per attempt.
#[derive(Clone)]
pub(super) struct HandshakeFailures(moka::sync::Cache<(std::net::IpAddr, Box<str>), ()>);

impl HandshakeFailures {
    pub(super) fn new() -> HandshakeFailures {
        HandshakeFailures(
            moka::sync::Cache::builder()
                .max_capacity(4_096)
                .time_to_live(HANDSHAKE_LOG_WINDOW)
                .build(),
        )
    }

    /// A handshake that ended in `error`. A client that closes the connection
    /// before finishing (a port scan, a TCP health check) is no failure worth
    /// a warning.
    pub(super) fn failed(&self, peer: std::net::SocketAddr, error: &std::io::Error) {
        use std::io::ErrorKind;
        match error.kind() {
            ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset | ErrorKind::BrokenPipe => {
                tracing::debug!(%peer, error = ?error.to_string(), "TLS handshake abandoned");
            }
            _ => self.report(peer, &error.to_string()),
        }
    }

    pub(super) fn report(&self, peer: std::net::SocketAddr, reason: &str) {
        let first = self
            .0
            .entry((peer.ip(), reason.into()))
            .or_insert(())
            .is_fresh();
        if first {
            tracing::warn!(
                %peer,
                reason = ?reason,
                "TLS handshake failed (the same failure from this address is not logged again for {} s)",
                HANDSHAKE_LOG_WINDOW.as_secs()
            );
        }
    }
}
