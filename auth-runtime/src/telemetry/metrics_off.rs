//! Prometheus metrics, left out of this build (the `metrics` feature is
//! off): a config that sets `server.metrics` is refused at start, so no
//! [`Metrics`] value ever exists and every counting step finds none.

use std::sync::Arc;
use std::time::Duration;

/// The metrics, which this build lacks: no value of this type exists.
pub(crate) enum Metrics {}

/// Why `server.metrics` is refused by this build.
pub(crate) const MISSING: &str = "this build lacks the `metrics` feature (enable the auth-runtime \
     crate's `metrics` feature, on by default), or remove `server.metrics`";

impl Metrics {
    /// Refused: this build has no metrics.
    pub(crate) fn create() -> Result<Arc<Metrics>, crate::config::ConfigError> {
        Err(crate::config::ConfigError::field("server.metrics", MISSING))
    }

    pub(crate) fn auth(&self, _: &str, _: &'static str) {
        match *self {}
    }

    pub(crate) fn policy(&self, _: &'static str, _: bool) {
        match *self {}
    }

    pub(crate) fn quota(&self, _: &'static str, _: &'static str) {
        match *self {}
    }

    pub(crate) fn provider_latency(&self, _: &str, _: Duration) {
        match *self {}
    }

    pub(crate) fn cache(&self, _: &'static str) {
        match *self {}
    }

    pub(crate) fn jwks_fetch(&self, _: &'static str) {
        match *self {}
    }

    #[cfg_attr(not(feature = "server"), allow(dead_code))] // the app's reload counts
    pub(crate) fn reload(&self, _: &'static str) {
        match *self {}
    }

    pub(crate) fn quota_evictions(&self, _: u64) {
        match *self {}
    }

    pub(crate) fn decision_log_dropped(&self) {
        match *self {}
    }

    pub(crate) fn decision_log_write_errors(&self, _: u64) {
        match *self {}
    }
}

/// The `/metrics` endpoint: never built without the feature.
#[cfg_attr(not(feature = "server"), allow(dead_code))] // the app serves it
pub(crate) fn router(metrics: Arc<Metrics>) -> axum::Router {
    match *metrics {}
}

/// The answer's future as it is: nothing is counted.
pub(crate) type Measured<F> = F;

/// Calls `call` with `request`: nothing to count without the feature.
#[inline]
pub(crate) fn measured<F>(
    _: Option<&Arc<Metrics>>,
    _: &'static str,
    request: axum::extract::Request,
    call: impl FnOnce(axum::extract::Request) -> F,
) -> F {
    call(request)
}
