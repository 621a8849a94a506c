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
//! The metrics are a router's own (its `Telemetry`, inside
//! its `Security`): the steps that count (the authentication step, the
//! providers, the cache, the quota, the policies) check one pointer and do
//! nothing when metrics are off. Compiled with the `metrics` feature only.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The content type of [`Metrics::encode`]'s text (OpenMetrics).
pub(crate) const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The content type of [`Metrics::encode_classic`]'s text (the Prometheus
/// text format 0.0.4).
pub(crate) const CLASSIC_CONTENT_TYPE: &str =
    prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

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
pub(crate) struct Metrics {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: Histograms<RouteLabels>,
    auth_decisions: Family<AuthLabels, Counter>,
    provider_latency: Histograms<ProviderLabels>,
    cache: Family<ResultLabels, Counter>,
    jwks_fetches: Family<ResultLabels, Counter>,
    quota: Family<QuotaLabels, Counter>,
    quota_evictions: Counter,
    policy_decisions: Family<PolicyLabels, Counter>,
    reloads: Family<ResultLabels, Counter>,
    decision_log_dropped: Counter,
    decision_log_write_errors: Counter,
}

impl Metrics {
    /// A registry of its own, every count at zero (`server.metrics`).
    pub(crate) fn create() -> Result<Arc<Metrics>, crate::config::ConfigError> {
        Ok(Arc::new(Metrics::new()))
    }

    fn new() -> Metrics {
        let mut metrics = Metrics {
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(latency),
            auth_decisions: Family::default(),
            provider_latency: Family::new_with_constructor(latency),
            cache: Family::default(),
            jwks_fetches: Family::default(),
            quota: Family::default(),
            quota_evictions: Counter::default(),
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
            "webmethod_quota_evictions",
            "Counters of the current window the in-memory quota store evicted at its bound (max_entries), least recently charged first",
            metrics.quota_evictions.clone(),
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
    pub(crate) fn encode(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// The exposition in the classic Prometheus text format (0.0.4): no
    /// `# EOF`, counters' `# HELP`/`# TYPE` under their `_total` names
    /// (prometheus-client's own encoder of that format).
    pub(crate) fn encode_classic(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }

    /// The exposition a scraper sending `accept` asked for, and its content
    /// type: OpenMetrics when `Accept` names `application/openmetrics-text`
    /// (with a non-zero `q`), the classic text format otherwise (as the
    /// Prometheus Go client negotiates: `*/*` or no `Accept` gets 0.0.4).
    pub(crate) fn negotiate(
        &self,
        accept: Option<&axum::http::HeaderValue>,
    ) -> (&'static str, String) {
        if accept.is_some_and(takes_openmetrics) {
            (CONTENT_TYPE, self.encode())
        } else {
            (CLASSIC_CONTENT_TYPE, self.encode_classic())
        }
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

    fn count(family: &Family<ResultLabels, Counter>, result: &'static str) {
        family.get_or_create(&ResultLabels { result }).inc();
    }

    /// A validation cache lookup: `hit`, `miss` or `coalesced`.
    pub(crate) fn cache(&self, result: &'static str) {
        Metrics::count(&self.cache, result);
    }

    /// A JWKS fetch: `ok` or `error`.
    pub(crate) fn jwks_fetch(&self, result: &'static str) {
        Metrics::count(&self.jwks_fetches, result);
    }

    /// A config reload: `ok` or `error`.
    #[cfg_attr(not(feature = "server"), allow(dead_code))] // the app's reload counts
    pub(crate) fn reload(&self, result: &'static str) {
        Metrics::count(&self.reloads, result);
    }

    /// Counters of the current window the memory store evicted.
    pub(crate) fn quota_evictions(&self, evicted: u64) {
        self.quota_evictions.inc_by(evicted);
    }

    /// A decision log line dropped (the writer fell behind).
    pub(crate) fn decision_log_dropped(&self) {
        self.decision_log_dropped.inc();
    }

    /// Decision log lines a failing write lost.
    pub(crate) fn decision_log_write_errors(&self, lost: u64) {
        self.decision_log_write_errors.inc_by(lost);
    }

    /// One answer of `labels`' route, `took` after its head arrived.
    fn answered(&self, labels: &RouteLabels, status: u16, took: Duration) {
        self.http_requests
            .get_or_create(&HttpLabels {
                route: labels.route,
                method: labels.method,
                status,
            })
            .inc();
        self.http_duration
            .get_or_create(labels)
            .observe(took.as_secs_f64());
    }
}

/// The `/metrics` endpoint of `metrics`: the exposition the scraper's
/// `Accept` asks for. Served on a listener of its own by the app
/// (`serve_metrics` of the transport: the API's timeouts, a connection cap
/// of its own).
pub(crate) fn router(metrics: Arc<Metrics>) -> axum::Router {
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move |headers: axum::http::HeaderMap| async move {
            let (content_type, text) = metrics.negotiate(headers.get(axum::http::header::ACCEPT));
            ([(axum::http::header::CONTENT_TYPE, content_type)], text)
        }),
    )
}

/// Whether an `Accept` header takes `application/openmetrics-text`: one of
/// its media ranges names it, with no `q` parameter or a `q` above 0.
fn takes_openmetrics(accept: &axum::http::HeaderValue) -> bool {
    let Ok(accept) = accept.to_str() else {
        return false;
    };
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim();
        media.eq_ignore_ascii_case("application/openmetrics-text")
            && parts.all(|param| {
                let Some((name, value)) = param.split_once('=') else {
                    return true;
                };
                !name.trim().eq_ignore_ascii_case("q")
                    || value.trim().parse::<f32>().is_ok_and(|q| q > 0.0)
            })
    })
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

/// Calls `call` with `request` and, when `metrics` are on, counts and times
/// its answer under `route` (the route template in the router's syntax, or
/// `<unmatched>`): in front of the security pipeline, so a 401 or 429
/// counts too.
#[inline]
pub(crate) fn measured<F>(
    metrics: Option<&Arc<Metrics>>,
    route: &'static str,
    request: axum::extract::Request,
    call: impl FnOnce(axum::extract::Request) -> F,
) -> Measured<F> {
    let counting = metrics.map(|metrics| {
        (
            metrics.clone(),
            RouteLabels {
                route,
                method: method_label(request.method()),
            },
            std::time::Instant::now(),
        )
    });
    Measured {
        counting,
        future: call(request),
    }
}

pin_project_lite::pin_project! {
    /// The answer's future, counted and timed when it completes.
    pub(crate) struct Measured<F> {
        counting: Option<(Arc<Metrics>, RouteLabels, std::time::Instant)>,
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
        if let (Ok(response), Some((metrics, labels, started))) = (&output, &*this.counting) {
            metrics.answered(labels, response.status().as_u16(), started.elapsed());
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
        metrics.cache("hit");
        metrics.quota_evictions(3);
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
        assert!(text.contains("webmethod_quota_evictions_total 3"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }

    #[test]
    fn openmetrics_only_when_accept_names_it() {
        let takes =
            |accept: &'static str| takes_openmetrics(&axum::http::HeaderValue::from_static(accept));
        // Prometheus 2.x and 3.x scrapers.
        assert!(takes(
            "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        ));
        assert!(takes(
            "text/plain;q=0.5, Application/OpenMetrics-Text; q=0.2"
        ));
        assert!(!takes("*/*"));
        assert!(!takes("text/plain; version=0.0.4"));
        assert!(!takes("application/openmetrics-text;q=0"));
        assert!(!takes("application/openmetrics-textual"));
    }

    #[test]
    fn classic_text_has_no_eof_and_names_counters_by_their_samples() {
        let metrics = Metrics::new();
        metrics.auth("api_keys", "authenticated");
        let text = metrics.encode_classic();
        assert!(!text.contains("# EOF"), "{text}");
        assert!(!text.contains("_created"), "{text}");
        assert!(
            text.contains("# TYPE webmethod_auth_decisions_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains(
                r#"webmethod_auth_decisions_total{provider="api_keys",outcome="authenticated"} 1"#
            ),
            "{text}"
        );
    }

    #[test]
    fn methods_are_bounded() {
        assert_eq!(method_label(&axum::http::Method::GET), "GET");
        let odd = axum::http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "OTHER");
    }
}
