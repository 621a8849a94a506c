//! What the server says about itself: Prometheus metrics on a listener of
//! their own, and the decision log (one JSON line per decision).
//!
//! Both travel inside the [`Security`](crate::Security) a router is built
//! with, as one [`Telemetry`] value: two routers of one process (two apps,
//! two test routers) keep their own counts and their own log. A step that
//! counts or logs checks one pointer and does nothing when that part is off.

pub(crate) mod decision_log;
#[cfg(feature = "metrics")]
pub(crate) mod metrics;
#[cfg(not(feature = "metrics"))]
#[path = "metrics_off.rs"]
pub(crate) mod metrics;

use std::sync::Arc;

use crate::config::ConfigError;
use decision_log::DecisionLog;
use metrics::Metrics;

/// A router's metrics and decision log, each on or off; cheap to clone
/// (two shared pointers).
#[derive(Clone, Default)]
pub(crate) struct Telemetry {
    metrics: Option<Arc<Metrics>>,
    decisions: Option<Arc<DecisionLog>>,
}

impl std::fmt::Debug for Telemetry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telemetry")
            .field("metrics", &self.metrics.is_some())
            .field("decision_log", &self.decisions.is_some())
            .finish()
    }
}

impl Telemetry {
    /// No metrics, no decision log.
    pub(crate) fn off() -> Telemetry {
        Telemetry::default()
    }

    /// What the settings ask for: the metrics registry when `metrics`
    /// (`server.metrics` is set; its listener is the app's), the decision
    /// log opened at `decision_log` (`server.auth.decision_log.path`). The
    /// log's writer ends when the last clone of this value is dropped.
    pub(crate) fn open(
        metrics: bool,
        decision_log: Option<&str>,
    ) -> Result<Telemetry, ConfigError> {
        let metrics = if metrics {
            Some(Metrics::create()?)
        } else {
            None
        };
        let decisions = match decision_log {
            Some(path) => Some(Arc::new(DecisionLog::open(path, metrics.clone())?)),
            None => None,
        };
        Ok(Telemetry { metrics, decisions })
    }

    /// The metrics, when they are on (`server.metrics`): their
    /// [`encode`](Metrics::encode) is what `/metrics` serves.
    #[inline]
    pub(crate) fn metrics(&self) -> Option<&Arc<Metrics>> {
        self.metrics.as_ref()
    }

    /// The decision log, when it is on (`server.auth.decision_log`).
    #[inline]
    pub(crate) fn decisions(&self) -> Option<&DecisionLog> {
        self.decisions.as_deref()
    }
}
