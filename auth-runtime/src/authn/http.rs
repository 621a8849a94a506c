//! The HTTP client of every provider that calls out: rustls, the TLS options
//! of llama-stack's configs, no redirects, bounded answers.

use std::path::Path;
use std::time::Duration;

use super::AuthError;

/// The largest answer read from an identity provider.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The client of one provider, from the settings every remote provider's
/// config shares: `verify_tls` (`false` accepts any certificate: for tests
/// only, a warning is logged), `tls_cafile` (PEM file of the CAs to trust
/// instead of the system's) and `timeout` (seconds, for connecting and for
/// the whole answer).
pub fn client(
    verify_tls: bool,
    tls_cafile: Option<&Path>,
    timeout: f64,
) -> Result<reqwest::Client, String> {
    let timeout = Duration::from_secs_f64(timeout);
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent(concat!("webmethod/", env!("CARGO_PKG_VERSION")))
        // A redirect could carry a token to another host.
        .redirect(reqwest::redirect::Policy::none());
    if !verify_tls {
        tracing::warn!(
            "verify_tls is false: TLS certificates of the identity provider are not checked"
        );
        builder = builder.tls_danger_accept_invalid_certs(true);
    } else if let Some(path) = tls_cafile {
        let pem = std::fs::read(path)
            .map_err(|e| format!("cannot read tls_cafile {}: {e}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
            format!(
                "tls_cafile {} holds no valid PEM certificate: {e}",
                path.display()
            )
        })?;
        if certs.is_empty() {
            return Err(format!(
                "tls_cafile {} holds no certificate",
                path.display()
            ));
        }
        builder = builder.tls_certs_only(certs);
    }
    builder
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// A transport error: unreachable or too slow is 503, anything else a provider failure.
pub fn transport_error(context: &str, e: reqwest::Error) -> AuthError {
    if e.is_timeout() || e.is_connect() || e.is_request() {
        AuthError::Unavailable("Authentication service unavailable".into())
    } else {
        AuthError::Failed(format!("{context}: {}", e.without_url()))
    }
}

/// Reads an answer's body, at most [`MAX_RESPONSE_BYTES`].
pub async fn read_limited(
    context: &str,
    response: reqwest::Response,
) -> Result<Vec<u8>, AuthError> {
    read_at_most(context, response, MAX_RESPONSE_BYTES).await
}

/// Reads an answer's body, at most `max` bytes; more is a provider failure.
pub async fn read_at_most(
    context: &str,
    mut response: reqwest::Response,
    max: usize,
) -> Result<Vec<u8>, AuthError> {
    let mut out = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(context, e))?
    {
        if out.len() + chunk.len() > max {
            return Err(AuthError::Failed(format!(
                "{context}: answer larger than {max} bytes"
            )));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// `host[:port]` of a URL, for "validated by ..." hints.
pub fn host_of(url: &reqwest::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => String::new(),
    }
}
