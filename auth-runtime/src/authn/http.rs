//! The HTTP client of every provider that calls out: rustls, the TLS options
//! of llama-stack's configs, no redirects, bounded answers.

use std::path::Path;
use std::time::Duration;

use super::AuthError;
use super::providers::ProviderError;

/// The largest answer read from an identity provider.
pub(crate) const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The client of one provider, from the settings every remote provider's
/// config shares: `verify_tls` (`false` accepts any certificate: for tests
/// only, a warning is logged), `tls_cafile` (PEM file of the CAs to trust
/// instead of the system's) and `timeout` (seconds, for connecting and for
/// the whole answer).
pub(crate) fn client(
    verify_tls: bool,
    tls_cafile: Option<&Path>,
    timeout: f64,
) -> Result<reqwest::Client, ProviderError> {
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
        let file = || path.to_path_buf();
        let pem = std::fs::read(path).map_err(|source| ProviderError::ReadCaFile {
            file: file(),
            source,
        })?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|source| {
            ProviderError::BadCaFile {
                file: file(),
                source,
            }
        })?;
        if certs.is_empty() {
            return Err(ProviderError::EmptyCaFile { file: file() });
        }
        builder = builder.tls_certs_only(certs);
    }
    builder.build().map_err(ProviderError::Client)
}

/// A transport error: the provider could not be reached, was too slow, or
/// the exchange broke off: an outage, 503. Only a request that could not be
/// built is a failure of ours.
pub(crate) fn transport_error(context: &str, e: reqwest::Error) -> AuthError {
    let e = e.without_url();
    tracing::debug!(target: "webmethod::auth", error = ?e.to_string(), "{context}");
    if e.is_builder() {
        AuthError::Failed(format!("{context}: {e}"))
    } else {
        unavailable()
    }
}

/// Reads an answer's body, at most [`MAX_RESPONSE_BYTES`].
pub(crate) async fn read_limited(
    context: &str,
    response: reqwest::Response,
) -> Result<Vec<u8>, AuthError> {
    read_at_most(context, response, MAX_RESPONSE_BYTES).await
}

/// Reads an answer's body, at most `max` bytes; more is a provider failure.
pub(crate) async fn read_at_most(
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
pub(crate) fn host_of(url: &reqwest::Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        _ => String::new(),
    }
}

/// A lean client for the one provider asked on every request (`custom`,
/// uncached by default): hyper's pooled HTTP/1 client over rustls, nothing
/// else. reqwest, which the token providers use behind the validation cache,
/// re-parses the URL in its redirect layer on every request; here the
/// request is built from a URI parsed once.
#[derive(Clone)]
pub(crate) struct LeanClient {
    client: hyper_util::client::legacy::Client<
        hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
        http_body_util::Full<bytes::Bytes>,
    >,
    timeout: Duration,
}

impl LeanClient {
    /// Verifies servers with the platform's roots (as reqwest does).
    pub(crate) fn new(timeout: f64) -> Result<LeanClient, ProviderError> {
        use rustls_platform_verifier::BuilderVerifierExt;
        let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(ProviderError::Tls)?
            .with_platform_verifier()
            .map_err(ProviderError::Tls)?
            .with_no_client_auth();
        let timeout = Duration::from_secs_f64(timeout);
        let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(connector);
        Ok(LeanClient { client, timeout })
    }

    /// POSTs `body` as JSON, with `authorization` when given; the status and
    /// at most `max` bytes of the answer. Unreachable, too slow or a broken
    /// connection: 503.
    pub(crate) async fn post_json(
        &self,
        context: &str,
        uri: &axum::http::Uri,
        authorization: Option<&axum::http::HeaderValue>,
        body: Vec<u8>,
        max: usize,
    ) -> Result<(axum::http::StatusCode, bytes::Bytes), AuthError> {
        use http_body_util::BodyExt;
        let mut request = axum::http::Request::post(uri.clone())
            .header(axum::http::header::CONTENT_TYPE, "application/json")
            .header(axum::http::header::USER_AGENT, USER_AGENT)
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .map_err(|e| AuthError::Failed(format!("{context}: {e}")))?;
        if let Some(value) = authorization {
            request
                .headers_mut()
                .insert(axum::http::header::AUTHORIZATION, value.clone());
        }
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                tracing::debug!(target: "webmethod::auth", error = ?e.to_string(), "{context}");
                unavailable()
            })?;
            let status = response.status();
            let body = http_body_util::Limited::new(response.into_body(), max)
                .collect()
                .await
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        AuthError::Failed(format!("{context}: answer larger than {max} bytes"))
                    } else {
                        unavailable()
                    }
                })?
                .to_bytes();
            Ok((status, body))
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(unavailable()),
        }
    }
}

const USER_AGENT: &str = concat!("webmethod/", env!("CARGO_PKG_VERSION"));

/// An outage of the identity provider: 503, never cached.
pub(crate) fn unavailable() -> AuthError {
    AuthError::Unavailable("Authentication service unavailable".into())
}
