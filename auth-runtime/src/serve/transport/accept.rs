//! The listener: connections accepted while under the cap, each served by
//! hyper (after the TLS handshake when HTTPS), until shutdown.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::Transport;
use super::body::{BodyLimits, TimedBody};
use super::limits::Limits;
use super::routers::Routers;
use super::timer::ConnectionTimer;
use super::tls::HandshakeFailures;
use crate::extract::error::ApiError;

impl Transport {
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
    // One buffer per answer, head and body copied in, rather than vectored
    // writes: cheaper for the small JSON answers an API gives (about 180
    // instructions a request, BENCHMARKS.md), and TLS (rustls) writes a
    // vectored buffer one slice at a time anyway.
    http.writev(false);
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
            let (body, timed_out) = TimedBody::new(body, self.body.read_timeout);
            (axum::body::Body::new(body), Some(timed_out))
        };
        let mut router = self.routers.current();
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
