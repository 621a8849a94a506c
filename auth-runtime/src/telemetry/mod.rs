//! What the server says about itself: Prometheus metrics on a listener of
//! their own, and the decision log (one JSON line per decision).

pub mod decision_log;
pub mod metrics;
