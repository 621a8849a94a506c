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

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::config::{ConfigError, LimitsConfig, ServerConfig};

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

/// The limits every connection is served under.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// `server.limits.header_read_timeout`: the time to send a request head
    /// or finish a TLS handshake; also the keep-alive idle timeout. Default
    /// 10 seconds ([`DEFAULT_HEADER_READ_TIMEOUT_SECONDS`]).
    pub header_read_timeout: Duration,
    /// `server.limits.max_connections`: connections served at once. Default
    /// 10,000 ([`DEFAULT_MAX_CONNECTIONS`]).
    pub max_connections: usize,
    /// `server.limits.max_request_body_bytes`: the largest request body an
    /// extractor reads. Default 2 MiB ([`DEFAULT_MAX_REQUEST_BODY_BYTES`]).
    pub max_request_body_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECONDS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_request_body_bytes: DEFAULT_MAX_REQUEST_BODY_BYTES,
        }
    }
}

/// Seconds a client has to send a whole request head (and a TLS handshake).
pub const DEFAULT_HEADER_READ_TIMEOUT_SECONDS: u64 = 10;
/// Connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// The largest request body a handler's extractor reads (axum's default).
pub const DEFAULT_MAX_REQUEST_BODY_BYTES: usize = 2 * 1024 * 1024;

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
    /// checked; every error names its field.
    pub fn from_config(server: &ServerConfig) -> Result<Transport, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let limits = limits(server.limits.as_ref(), &mut errors);
        let tls = match tls(server) {
            Ok(tls) => tls,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let cors = match crate::cors::layer(server.cors.as_ref()) {
            Ok(cors) => cors,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
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

    /// Serves `router` on `listener` until `shutdown` completes; connections
    /// in flight then get a moment to finish.
    pub async fn serve(
        &self,
        listener: TcpListener,
        router: Router,
        shutdown: impl Future<Output = ()>,
    ) {
        let routers = Routers::new(self.wrap(router));
        self.serve_routers(listener, routers, shutdown).await;
    }

    /// The transport's own layers around `router`: the body limit and CORS.
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

    /// Serves whichever router `routers` holds when each request arrives
    /// (already [`wrap`](Self::wrap)ped), until `shutdown` completes.
    pub async fn serve_routers(
        &self,
        listener: TcpListener,
        routers: Routers,
        shutdown: impl Future<Output = ()>,
    ) {
        let slots = Arc::new(tokio::sync::Semaphore::new(self.limits.max_connections));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.header_read_timeout(self.limits.header_read_timeout);
        let graceful = GracefulShutdown::new();
        let acceptor = self.tls.clone().map(TlsAcceptor::from);
        let handshake_timeout = self.limits.header_read_timeout;
        tokio::pin!(shutdown);
        loop {
            let slot = tokio::select! {
                slot = slots.clone().acquire_owned() => match slot {
                    Ok(slot) => slot,
                    Err(_) => break,
                },
                () = &mut shutdown => break,
            };
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors, a connection reset before
                        // it was accepted: keep serving the ones we have.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let service = TowerToHyperService::new(routers.clone().map_request(
                move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request.map(axum::body::Body::new)
                },
            ));
            let watcher = graceful.watcher();
            let mut http = http.clone();
            http.timer(ConnectionTimer::default());
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _slot = slot;
                match acceptor {
                    None => {
                        let connection = http.serve_connection(TokioIo::new(stream), service);
                        let _ = watcher.watch(connection).await;
                    }
                    Some(acceptor) => {
                        let stream = match tokio::time::timeout(
                            handshake_timeout,
                            acceptor.accept(stream),
                        )
                        .await
                        {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(e)) => {
                                tracing::debug!(%peer, error = ?e.to_string(), "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "TLS handshake timed out");
                                return;
                            }
                        };
                        let connection = http.serve_connection(TokioIo::new(stream), service);
                        let _ = watcher.watch(connection).await;
                    }
                }
            });
        }
        drop(listener);
        // Requests in flight get a moment; idle connections close at once.
        let _ = tokio::time::timeout(Duration::from_secs(10), graceful.shutdown()).await;
    }
}

/// The router requests are served by, swapped whole on reload: each request
/// takes the router current when it arrives and finishes with it.
#[derive(Clone)]
pub struct Routers(Arc<arc_swap::ArcSwap<Router>>);

impl Routers {
    /// Serves `router` until the next [`swap`](Self::swap).
    pub fn new(router: Router) -> Routers {
        Routers(Arc::new(arc_swap::ArcSwap::from_pointee(router)))
    }

    /// Serves `router` from the next request on.
    pub fn swap(&self, router: Router) {
        self.0.store(Arc::new(router));
    }
}

impl tower::Service<axum::extract::Request> for Routers {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = <Router as tower::Service<axum::extract::Request>>::Future;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        // A Router is always ready.
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::extract::Request) -> Self::Future {
        let mut router = Router::clone(&self.0.load());
        tower::Service::call(&mut router, request)
    }
}

fn limits(config: Option<&LimitsConfig>, errors: &mut Vec<ConfigError>) -> Limits {
    let mut limits = Limits::default();
    let Some(config) = config else {
        return limits;
    };
    if let Some(seconds) = config.header_read_timeout {
        if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 {
            limits.header_read_timeout = Duration::from_secs_f64(seconds);
        } else {
            errors.push(ConfigError::field(
                "server.limits.header_read_timeout",
                "must be a number of seconds above 0 and at most 3600",
            ));
        }
    }
    match config.max_connections {
        Some(0) => errors.push(ConfigError::field(
            "server.limits.max_connections",
            "must be at least 1",
        )),
        Some(n) => limits.max_connections = n,
        None => {}
    }
    match config.max_request_body_bytes {
        Some(0) => errors.push(ConfigError::field(
            "server.limits.max_request_body_bytes",
            "must be at least 1",
        )),
        Some(n) => limits.max_request_body_bytes = n,
        None => {}
    }
    limits
}

/// The rustls config of `tls_certfile`, `tls_keyfile` and `tls_cafile`.
fn tls(server: &ServerConfig) -> Result<Option<rustls::ServerConfig>, ConfigError> {
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

/// hyper's timer for one connection. hyper asks for a new sleep for every
/// request head it reads and drops it when the head is in; with a tokio
/// sleep each time that is an allocation, a timer-wheel insertion and a
/// removal per request (about 1,700 instructions, measured). This one
/// keeps one tokio sleep per connection and moves its deadline, which tokio
/// does with an atomic store when the deadline only grows. An HTTP/1 server
/// connection has at most one sleep at a time (the header read timeout), so
/// every handle shares it.
#[derive(Clone)]
struct ConnectionTimer(Arc<std::sync::Mutex<std::pin::Pin<Box<tokio::time::Sleep>>>>);

impl Default for ConnectionTimer {
    fn default() -> Self {
        // Far off until hyper sets a deadline.
        let far = tokio::time::Instant::now() + Duration::from_secs(86_400 * 365);
        ConnectionTimer(Arc::new(std::sync::Mutex::new(Box::pin(
            tokio::time::sleep_until(far),
        ))))
    }
}

impl ConnectionTimer {
    fn set(&self, deadline: std::time::Instant) {
        let mut sleep = self.0.lock().unwrap_or_else(|p| p.into_inner());
        sleep.as_mut().reset(deadline.into());
    }
}

/// A handle on the connection's one sleep.
struct SharedSleep(Arc<std::sync::Mutex<std::pin::Pin<Box<tokio::time::Sleep>>>>);

impl Future for SharedSleep {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let mut sleep = self.0.lock().unwrap_or_else(|p| p.into_inner());
        sleep.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for SharedSleep {}

impl hyper::rt::Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> std::pin::Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(std::time::Instant::now() + duration)
    }

    fn sleep_until(
        &self,
        deadline: std::time::Instant,
    ) -> std::pin::Pin<Box<dyn hyper::rt::Sleep>> {
        self.set(deadline);
        Box::pin(SharedSleep(Arc::clone(&self.0)))
    }

    fn reset(
        &self,
        _sleep: &mut std::pin::Pin<Box<dyn hyper::rt::Sleep>>,
        new_deadline: std::time::Instant,
    ) {
        self.set(new_deadline);
    }
}
