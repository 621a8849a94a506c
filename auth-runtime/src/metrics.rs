//! Prometheus metrics (DESIGN.md "Operations"): on only with
//! `server.metrics: {address}`, served on a listener of their own, never on
//! the API port. Built on `prometheus-client` (the Prometheus project's own
//! Rust client: an explicit registry rather than a process-wide recorder an
//! app may already have installed, OpenMetrics text).
//!
//! Label values are bounded: route templates (never raw paths), methods,
//! status codes, configured provider names, fixed outcome words. No
//! principal, token or path from a request is ever a label.
//!
//! The metrics are process-wide ([`enabled`]): the steps that count (the
//! authentication step, the providers, the cache, the quota, the policies)
//! check one pointer and do nothing when metrics are off.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type of [`Metrics::encode`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Latency buckets: 0.5 ms to about 33 s, doubling.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 17))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct HttpLabels {
    pub route: &'static str,
    pub method: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RouteLabels {
    pub route: &'static str,
    pub method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct AuthLabels {
    pub provider: String,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ProviderLabels {
    pub provider: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ResultLabels {
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct QuotaLabels {
    pub subject_kind: &'static str,
    pub outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct PolicyLabels {
    pub policy: &'static str,
    pub outcome: &'static str,
}

/// Every metric webmethod keeps.
pub struct Metrics {
    registry: Registry,
    pub(crate) http_requests: Family<HttpLabels, Counter>,
    pub(crate) http_duration: Histograms<RouteLabels>,
    pub(crate) auth_decisions: Family<AuthLabels, Counter>,
    pub(crate) provider_latency: Histograms<ProviderLabels>,
    pub(crate) cache: Family<ResultLabels, Counter>,
    pub(crate) jwks_fetches: Family<ResultLabels, Counter>,
    pub(crate) quota: Family<QuotaLabels, Counter>,
    pub(crate) policy_decisions: Family<PolicyLabels, Counter>,
    pub(crate) reloads: Family<ResultLabels, Counter>,
    pub(crate) decision_log_dropped: Counter,
    pub(crate) decision_log_write_errors: Counter,
}

impl Metrics {
    fn new() -> Metrics {
        let mut metrics = Metrics {
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(latency),
            auth_decisions: Family::default(),
            provider_latency: Family::new_with_constructor(latency),
            cache: Family::default(),
            jwks_fetches: Family::default(),
            quota: Family::default(),
            policy_decisions: Family::default(),
            reloads: Family::default(),
            decision_log_dropped: Counter::default(),
            decision_log_write_errors: Counter::default(),
            registry: Registry::default(),
        };
        let mut registry = std::mem::take(&mut metrics.registry);
        // Counters get their `_total` suffix from the encoder.
        registry.register(
            "webmethod_http_requests",
            "Requests answered, by route template (unmatched: <unmatched>), method and status",
            metrics.http_requests.clone(),
        );
        registry.register(
            "webmethod_http_request_duration_seconds",
            "Time from the request head to the answer, by route template and method",
            metrics.http_duration.clone(),
        );
        registry.register(
            "webmethod_auth_decisions",
            "Authentication decisions by provider and outcome (authenticated, denied, unavailable, error)",
            metrics.auth_decisions.clone(),
        );
        registry.register(
            "webmethod_provider_latency_seconds",
            "Time a configured identity provider took to validate a credential (validation cache misses)",
            metrics.provider_latency.clone(),
        );
        registry.register(
            "webmethod_validation_cache",
            "Validation cache lookups by result (hit, miss, coalesced)",
            metrics.cache.clone(),
        );
        registry.register(
            "webmethod_jwks_fetches",
            "JWKS fetches by result (ok, error)",
            metrics.jwks_fetches.clone(),
        );
        registry.register(
            "webmethod_quota",
            "Quota charges by subject kind (address, principal) and outcome (admitted, rejected, error)",
            metrics.quota.clone(),
        );
        registry.register(
            "webmethod_policy_decisions",
            "Policy decisions by policy (scope, route, access) and outcome (allowed, denied)",
            metrics.policy_decisions.clone(),
        );
        registry.register(
            "webmethod_config_reloads",
            "Config reloads (SIGHUP) by result (ok, error: the running config stays)",
            metrics.reloads.clone(),
        );
        registry.register(
            "webmethod_decision_log_dropped",
            "Decision log lines dropped because the writer fell behind (a request never waits for it)",
            metrics.decision_log_dropped.clone(),
        );
        registry.register(
            "webmethod_decision_log_write_errors",
            "Decision log lines lost because writing them failed (a full disk, /dev/full); an ERROR says so, at most every 10 s",
            metrics.decision_log_write_errors.clone(),
        );
        metrics.registry = registry;
        metrics
    }

    /// The exposition, in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub(crate) fn auth(&self, provider: &str, outcome: &'static str) {
        self.auth_decisions
            .get_or_create(&AuthLabels {
                provider: provider.to_owned(),
                outcome,
            })
            .inc();
    }

    pub(crate) fn policy(&self, policy: &'static str, allowed: bool) {
        let outcome = if allowed { "allowed" } else { "denied" };
        self.policy_decisions
            .get_or_create(&PolicyLabels { policy, outcome })
            .inc();
    }

    pub(crate) fn quota(&self, subject_kind: &'static str, outcome: &'static str) {
        self.quota
            .get_or_create(&QuotaLabels {
                subject_kind,
                outcome,
            })
            .inc();
    }

    pub(crate) fn provider_latency(&self, provider: &str, took: Duration) {
        self.provider_latency
            .get_or_create(&ProviderLabels {
                provider: provider.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    pub(crate) fn count(family: &Family<ResultLabels, Counter>, result: &'static str) {
        family.get_or_create(&ResultLabels { result }).inc();
    }
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// The metrics, when a server of this process has them on.
#[inline]
pub fn enabled() -> Option<&'static Metrics> {
    METRICS.get()
}

/// Turns the metrics on for this process (idempotent).
pub fn enable() -> &'static Metrics {
    METRICS.get_or_init(Metrics::new)
}

/// Serves `/metrics` on `listener`, in a task of its own, until the process
/// ends; its address. Refused on the API's own address.
pub(crate) fn serve(
    listener: tokio::net::TcpListener,
    api: std::net::SocketAddr,
) -> Result<std::net::SocketAddr, String> {
    let addr = listener
        .local_addr()
        .map_err(|e| format!("server.metrics.address: {e}"))?;
    if addr == api {
        return Err("server.metrics.address: must not be the API's address".to_owned());
    }
    let metrics = enable();
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || async move {
            (
                [(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)],
                metrics.encode(),
            )
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = ?e.to_string(), "the metrics listener stopped");
        }
    });
    Ok(addr)
}

/// A method as a label: the standard ones by name, any other as `OTHER`
/// (a client chooses the method; labels must stay bounded).
pub(crate) fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// Counts and times every answer of one route (or of the unmatched
/// requests), in front of the security pipeline: a 401 or 429 counts too.
#[derive(Clone, Copy)]
pub(crate) struct HttpMetricsLayer {
    /// The route template in the router's syntax, or `<unmatched>`.
    pub route: &'static str,
}

impl<S> tower::Layer<S> for HttpMetricsLayer {
    type Service = HttpMetricsService<S>;

    fn layer(&self, inner: S) -> HttpMetricsService<S> {
        HttpMetricsService {
            inner,
            route: self.route,
        }
    }
}

#[derive(Clone)]
pub(crate) struct HttpMetricsService<S> {
    inner: S,
    route: &'static str,
}

impl<S> tower::Service<axum::extract::Request> for HttpMetricsService<S>
where
    S: tower::Service<axum::extract::Request, Response = axum::response::Response>,
{
    type Response = axum::response::Response;
    type Error = S::Error;
    type Future = Measured<S::Future>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: axum::extract::Request) -> Self::Future {
        Measured {
            labels: RouteLabels {
                route: self.route,
                method: method_label(request.method()),
            },
            started: std::time::Instant::now(),
            future: self.inner.call(request),
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer's future, counted and timed when it completes.
    pub(crate) struct Measured<F> {
        labels: RouteLabels,
        started: std::time::Instant,
        #[pin]
        future: F,
    }
}

impl<F, E> std::future::Future for Measured<F>
where
    F: std::future::Future<Output = Result<axum::response::Response, E>>,
{
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = self.project();
        let output = std::task::ready!(this.future.poll(cx));
        if let (Ok(response), Some(metrics)) = (&output, enabled()) {
            metrics
                .http_requests
                .get_or_create(&HttpLabels {
                    route: this.labels.route,
                    method: this.labels.method,
                    status: response.status().as_u16(),
                })
                .inc();
            metrics
                .http_duration
                .get_or_create(this.labels)
                .observe(this.started.elapsed().as_secs_f64());
        }
        std::task::Poll::Ready(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_exposed_with_their_labels() {
        let metrics = Metrics::new();
        metrics.auth("api_keys", "authenticated");
        metrics.policy("route", false);
        Metrics::count(&metrics.cache, "hit");
        let text = metrics.encode();
        assert!(
            text.contains(
                r#"webmethod_auth_decisions_total{provider="api_keys",outcome="authenticated"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"webmethod_policy_decisions_total{policy="route",outcome="denied"} 1"#),
            "{text}"
        );
        assert!(
            text.contains(r#"webmethod_validation_cache_total{result="hit"} 1"#),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn methods_are_bounded() {
        assert_eq!(method_label(&axum::http::Method::GET), "GET");
        let odd = axum::http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "OTHER");
    }
}
