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
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::config::{ConfigError, LimitsConfig, MetricsConfig, ServerConfig};
use crate::extract::error::ApiError;

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
    /// extractor reads; a request announcing a longer `Content-Length` is
    /// answered 413 before its body is read. Default 2 MiB
    /// ([`DEFAULT_MAX_REQUEST_BODY_BYTES`]).
    pub max_request_body_bytes: usize,
    /// `server.limits.body_read_timeout`: the time a request's whole body
    /// has to arrive, counted from its head; a slower body is cut (408).
    /// Default 30 seconds ([`DEFAULT_BODY_READ_TIMEOUT_SECONDS`]).
    pub body_read_timeout: Duration,
    /// `server.metrics.max_connections`: connections the metrics listener
    /// serves at once, apart from the API's. Default 64
    /// ([`DEFAULT_METRICS_MAX_CONNECTIONS`]).
    pub metrics_max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(DEFAULT_HEADER_READ_TIMEOUT_SECONDS),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_request_body_bytes: DEFAULT_MAX_REQUEST_BODY_BYTES,
            body_read_timeout: Duration::from_secs(DEFAULT_BODY_READ_TIMEOUT_SECONDS),
            metrics_max_connections: DEFAULT_METRICS_MAX_CONNECTIONS,
        }
    }
}

/// Seconds a client has to send a whole request head (and a TLS handshake).
pub const DEFAULT_HEADER_READ_TIMEOUT_SECONDS: u64 = 10;
/// Connections served at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// The largest request body a handler's extractor reads (axum's default).
pub const DEFAULT_MAX_REQUEST_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Seconds a request's whole body has to arrive, from its head.
pub const DEFAULT_BODY_READ_TIMEOUT_SECONDS: u64 = 30;
/// Connections the metrics listener serves at once.
pub const DEFAULT_METRICS_MAX_CONNECTIONS: usize = 64;

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
        let limits = limits(server.limits.as_ref(), server.metrics.as_ref(), &mut errors);
        let tls = match tls(server) {
            Ok(tls) => tls,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        let cors = match crate::serve::cors::layer(server.cors.as_ref()) {
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

    /// Raises the process's soft open-file limit (`RLIMIT_NOFILE`) to its
    /// hard limit. When the API's connections, the metrics listener's (if
    /// `metrics`) and [`RESERVED_FILE_DESCRIPTORS`] still do not fit, the
    /// API's cap is lowered to fit, with a WARN naming both numbers: past
    /// the limit, `accept` fails for everyone, the API included. `App::serve`
    /// calls it before serving; call it yourself when you serve with
    /// [`serve`](Self::serve).
    pub fn fit_open_file_limit(&mut self, metrics: bool) {
        let limit = match open_file_limit() {
            Ok(limit) => limit,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read or raise the open-file limit (RLIMIT_NOFILE)");
                return;
            }
        };
        let api = self.limits.max_connections;
        let metrics = if metrics {
            self.limits.metrics_max_connections
        } else {
            0
        };
        let needed = (api as u64)
            .saturating_add(metrics as u64)
            .saturating_add(RESERVED_FILE_DESCRIPTORS);
        if needed <= limit {
            return;
        }
        let fitted = limit
            .saturating_sub(RESERVED_FILE_DESCRIPTORS)
            .saturating_sub(metrics as u64)
            .max(1);
        let fitted = usize::try_from(fitted).unwrap_or(usize::MAX).min(api);
        tracing::warn!(
            "server.limits.max_connections is {api} but the open-file limit (ulimit -n) is \
             {limit}: with the metrics listener's {metrics} and {RESERVED_FILE_DESCRIPTORS} \
             files kept for the server itself, at most {fitted} connections are served at \
             once; raise the hard open-file limit or lower max_connections"
        );
        self.limits.max_connections = fitted;
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

    /// Serves whichever router `routers` holds when each request arrives
    /// (already [`wrap`](Self::wrap)ped), until `shutdown` completes.
    pub async fn serve_routers(
        &self,
        listener: TcpListener,
        routers: Routers,
        shutdown: impl Future<Output = ()>,
    ) {
        let acceptor = self.tls.clone().map(TlsAcceptor::from);
        serve_connections(
            listener,
            routers,
            self.limits,
            self.limits.max_connections,
            acceptor,
            shutdown,
        )
        .await;
    }

    /// Serves `router` (the metrics' own) on `listener`, in plain HTTP, under
    /// the API's timeouts and at most `metrics_max_connections` at once, a
    /// cap of its own: its clients never take the API's connections.
    pub async fn serve_metrics(
        &self,
        listener: TcpListener,
        router: Router,
        shutdown: impl Future<Output = ()>,
    ) {
        serve_connections(
            listener,
            Routers::new(router),
            self.limits,
            self.limits.metrics_max_connections,
            None,
            shutdown,
        )
        .await;
    }
}

/// Accepts connections on `listener` while fewer than `max_connections` are
/// served, each under `limits`, until `shutdown` completes.
async fn serve_connections(
    listener: TcpListener,
    routers: Routers,
    limits: Limits,
    max_connections: usize,
    acceptor: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(tokio::sync::Semaphore::new(max_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let handshake_timeout = limits.header_read_timeout;
    let failures = HandshakeFailures::new();
    let body = BodyLimits {
        max_bytes: u64::try_from(limits.max_request_body_bytes).unwrap_or(u64::MAX),
        read_timeout: limits.body_read_timeout,
    };
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
        let service = Connection {
            routers: routers.clone(),
            peer,
            body,
        };
        let watcher = graceful.watcher();
        let mut http = http.clone();
        http.timer(ConnectionTimer::default());
        let acceptor = acceptor.clone();
        let failures = failures.clone();
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
                            failures.failed(peer, &e);
                            return;
                        }
                        Err(_) => {
                            failures.report(peer, "handshake timed out");
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

/// Open files `fit_open_file_limit` keeps for the server itself besides
/// client connections: listeners, log and quota files, connections to
/// identity providers and Redis, the runtime's own.
pub const RESERVED_FILE_DESCRIPTORS: u64 = 128;

/// The soft open-file limit, raised first to the hard one.
#[cfg(unix)]
fn open_file_limit() -> std::io::Result<u64> {
    let (soft, hard) = rlimit::Resource::NOFILE.get()?;
    match rlimit::increase_nofile_limit(hard) {
        Ok(raised) => {
            if raised > soft {
                tracing::debug!(from = soft, to = raised, "open-file limit raised");
            }
            Ok(raised)
        }
        Err(e) => {
            tracing::warn!(error = %e, soft, hard, "cannot raise the open-file limit to the hard limit");
            Ok(soft)
        }
    }
}

/// No `RLIMIT_NOFILE` here: nothing to fit.
#[cfg(not(unix))]
fn open_file_limit() -> std::io::Result<u64> {
    Ok(u64::MAX)
}

/// How long a failed TLS handshake's peer and reason stay logged: the same
/// failure from the same address within it is not logged again.
pub const HANDSHAKE_LOG_WINDOW: Duration = Duration::from_secs(60);

/// The (peer address, reason) pairs of failed TLS handshakes logged in the
/// last [`HANDSHAKE_LOG_WINDOW`], bounded: a client failing in a loop
/// writes one line a minute, not one per attempt.
#[derive(Clone)]
struct HandshakeFailures(moka::sync::Cache<(std::net::IpAddr, Box<str>), ()>);

impl HandshakeFailures {
    fn new() -> HandshakeFailures {
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
    fn failed(&self, peer: std::net::SocketAddr, error: &std::io::Error) {
        use std::io::ErrorKind;
        match error.kind() {
            ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset | ErrorKind::BrokenPipe => {
                tracing::debug!(%peer, error = ?error.to_string(), "TLS handshake abandoned");
            }
            _ => self.report(peer, &error.to_string()),
        }
    }

    fn report(&self, peer: std::net::SocketAddr, reason: &str) {
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

/// The body limits of every request.
#[derive(Clone, Copy)]
struct BodyLimits {
    max_bytes: u64,
    read_timeout: Duration,
}

/// The service of one connection: the request's peer address, its body
/// limits, then whichever router is current.
struct Connection {
    routers: Routers,
    peer: std::net::SocketAddr,
    body: BodyLimits,
}

impl hyper::service::Service<hyper::Request<hyper::body::Incoming>> for Connection {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = Answer;

    fn call(&self, request: hyper::Request<hyper::body::Incoming>) -> Answer {
        use hyper::body::Body as _;
        // hyper's size hint of a body with a Content-Length is that length.
        if request.body().size_hint().lower() > self.body.max_bytes {
            return Answer::AtOnce {
                response: Some(closing(ApiError::new(
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "Request body too large",
                ))),
            };
        }
        let (mut parts, body) = request.into_parts();
        parts.extensions.insert(ConnectInfo(self.peer));
        let (body, timed_out) = if body.is_end_stream() {
            (axum::body::Body::new(body), None)
        } else {
            let timed_out = Arc::new(AtomicBool::new(false));
            let body = TimedBody {
                body,
                deadline: tokio::time::Instant::now() + self.body.read_timeout,
                sleep: None,
                timed_out: timed_out.clone(),
            };
            (axum::body::Body::new(body), Some(timed_out))
        };
        let mut router = Router::clone(&self.routers.0.load());
        Answer::Routed {
            future: tower::Service::call(&mut router, hyper::Request::from_parts(parts, body)),
            timed_out,
        }
    }
}

/// `error` with `Connection: close`: its request's body is left unread.
fn closing(error: ApiError) -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response = error.into_response();
    response.headers_mut().insert(
        axum::http::header::CONNECTION,
        axum::http::HeaderValue::from_static("close"),
    );
    response
}

pin_project_lite::pin_project! {
    /// A connection's answer to one request.
    #[project = AnswerProjection]
    enum Answer {
        /// Refused before the router (a body over the limit).
        AtOnce { response: Option<axum::response::Response> },
        /// The router's, unless the body timed out meanwhile.
        Routed {
            #[pin]
            future: <Router as tower::Service<axum::extract::Request>>::Future,
            timed_out: Option<Arc<AtomicBool>>,
        },
    }
}

impl Future for Answer {
    type Output = Result<axum::response::Response, std::convert::Infallible>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        match self.project() {
            AnswerProjection::AtOnce { response } => {
                std::task::Poll::Ready(Ok(response.take().unwrap_or_default()))
            }
            AnswerProjection::Routed { future, timed_out } => {
                let response = std::task::ready!(future.poll(cx))?;
                if timed_out
                    .as_ref()
                    .is_some_and(|t| t.load(Ordering::Relaxed))
                {
                    // Whatever the extractor made of the cut body.
                    return std::task::Poll::Ready(Ok(closing(ApiError::new(
                        axum::http::StatusCode::REQUEST_TIMEOUT,
                        "Request body not received in time",
                    ))));
                }
                std::task::Poll::Ready(Ok(response))
            }
        }
    }
}

/// The request body was not all received within `body_read_timeout`.
#[derive(Debug, thiserror::Error)]
#[error("request body not received within server.limits.body_read_timeout")]
struct BodyReadTimeout;

pin_project_lite::pin_project! {
    /// A request body that must end by `deadline`. The timer is armed only
    /// when the body makes the reader wait: a body already received costs
    /// no timer.
    struct TimedBody {
        #[pin]
        body: hyper::body::Incoming,
        deadline: tokio::time::Instant,
        #[pin]
        sleep: Option<tokio::time::Sleep>,
        timed_out: Arc<AtomicBool>,
    }
}

impl hyper::body::Body for TimedBody {
    type Data = bytes::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<bytes::Bytes>, axum::BoxError>>> {
        let this = self.project();
        if let std::task::Poll::Ready(frame) = this.body.poll_frame(cx) {
            return std::task::Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let mut sleep = this.sleep;
        if sleep.is_none() {
            sleep.set(Some(tokio::time::sleep_until(*this.deadline)));
        }
        if let Some(sleep) = sleep.as_pin_mut()
            && sleep.poll(cx).is_ready()
        {
            this.timed_out.store(true, Ordering::Relaxed);
            return std::task::Poll::Ready(Some(Err(BodyReadTimeout.into())));
        }
        std::task::Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
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

fn limits(
    config: Option<&LimitsConfig>,
    metrics: Option<&MetricsConfig>,
    errors: &mut Vec<ConfigError>,
) -> Limits {
    let mut limits = Limits::default();
    match metrics.and_then(|m| m.max_connections) {
        Some(0) => errors.push(ConfigError::field(
            "server.metrics.max_connections",
            "must be at least 1",
        )),
        Some(n) => limits.metrics_max_connections = n,
        None => {}
    }
    let Some(config) = config else {
        return limits;
    };
    if let Some(seconds) = config.header_read_timeout {
        match seconds_in_range(seconds) {
            Some(timeout) => limits.header_read_timeout = timeout,
            None => errors.push(ConfigError::field(
                "server.limits.header_read_timeout",
                "must be a number of seconds above 0 and at most 3600",
            )),
        }
    }
    if let Some(seconds) = config.body_read_timeout {
        match seconds_in_range(seconds) {
            Some(timeout) => limits.body_read_timeout = timeout,
            None => errors.push(ConfigError::field(
                "server.limits.body_read_timeout",
                "must be a number of seconds above 0 and at most 3600",
            )),
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

/// `seconds` as a duration when above 0 and at most an hour.
fn seconds_in_range(seconds: f64) -> Option<Duration> {
    (seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0)
        .then(|| Duration::from_secs_f64(seconds))
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
