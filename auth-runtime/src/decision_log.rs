//! The decision log (`server.auth.decision_log: {path: FILE | stderr}`): one
//! JSON line per authentication, scope, route policy and access decision,
//! for audits. Never a token. Written by a thread of its own through a
//! bounded queue: a request never waits for the disk; when the queue is full
//! the line is dropped and counted (`webmethod_decision_log_dropped_total`).
//!
//! Set up once per process at startup ([`open`]); a reload does not move it.

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderValue, Method};
use serde::Serialize;

use crate::principal::User;

/// Lines waiting for the writer, at most.
const QUEUE: usize = 16 * 1024;

/// One decision.
#[derive(Serialize)]
pub(crate) struct Entry<'a> {
    /// `authentication`, `scope`, `route_policy` or `access_policy`.
    pub decision: &'static str,
    pub request_id: Option<&'a str>,
    /// The user's principal (qualified by its provider when several are
    /// configured).
    pub principal: Option<&'a str>,
    /// The provider that authenticated the user, or that decided an
    /// authentication (`(none)`: no provider did); absent when none is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<&'a str>,
    pub route: &'a str,
    pub method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub rule: Option<usize>,
    pub description: Option<&'a str>,
    /// `allowed` or `denied` (`unavailable`, `error` for authentication).
    pub outcome: &'a str,
    pub reason: &'a str,
}

impl<'a> Entry<'a> {
    /// An entry about `request`, served by `target`, for `user`.
    pub(crate) fn about(
        decision: &'static str,
        target: crate::guard::Target,
        request: &'a axum::extract::Request,
        user: Option<&'a User>,
    ) -> Self {
        Entry {
            decision,
            request_id: Some(crate::authn::request_id(request)).filter(|id| !id.is_empty()),
            principal: user.map(|u| u.principal.as_str()),
            provider: user.and_then(|u| u.provider.as_deref()),
            route: crate::authn::route_name(target),
            method: request.method().as_str(),
            action: None,
            resource: None,
            rule: None,
            description: None,
            outcome: "denied",
            reason: "",
        }
    }

    /// An entry about a request a handler checks with `Access`, for `user`.
    pub(crate) fn in_context(
        decision: &'static str,
        context: &'a Context,
        user: Option<&'a User>,
    ) -> Self {
        Entry {
            decision,
            request_id: context.request_id(),
            principal: user.map(|u| u.principal.as_str()),
            provider: user.and_then(|u| u.provider.as_deref()),
            route: context.route,
            method: context.method.as_str(),
            action: None,
            resource: None,
            rule: None,
            description: None,
            outcome: "denied",
            reason: "",
        }
    }
}

/// Where a request's decisions are taken, for the entries of handlers'
/// `Access` checks.
#[derive(Clone, Debug)]
pub(crate) struct Context {
    pub request_id: Option<HeaderValue>,
    pub route: &'static str,
    pub method: Method,
}

impl Context {
    pub(crate) fn request_id(&self) -> Option<&str> {
        self.request_id.as_ref().and_then(|v| v.to_str().ok())
    }
}

struct DecisionLog {
    lines: SyncSender<String>,
    dropped: AtomicU64,
}

static LOG: OnceLock<DecisionLog> = OnceLock::new();

/// Whether decisions are logged.
#[inline]
pub(crate) fn enabled() -> bool {
    LOG.get().is_some()
}

/// Opens the log: `stderr`, or a file appended to. Once per process; later
/// calls keep the first.
pub fn open(path: &str) -> Result<(), String> {
    if LOG.get().is_some() {
        return Ok(());
    }
    let out: Box<dyn Write + Send> = if path == "stderr" {
        Box::new(std::io::stderr())
    } else {
        Box::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|e| format!("server.auth.decision_log.path: cannot open {path}: {e}"))?,
        )
    };
    let (lines, receiver) = sync_channel(QUEUE);
    std::thread::Builder::new()
        .name("webmethod-decision-log".into())
        .spawn(move || write_all(receiver, out))
        .map_err(|e| format!("server.auth.decision_log: cannot start its writer: {e}"))?;
    let _ = LOG.set(DecisionLog {
        lines,
        dropped: AtomicU64::new(0),
    });
    Ok(())
}

fn write_all(receiver: Receiver<String>, out: Box<dyn Write + Send>) {
    let mut out = std::io::BufWriter::new(out);
    while let Ok(line) = receiver.recv() {
        let _ = out.write_all(line.as_bytes());
        // Flush when the queue is drained: lines reach the file promptly
        // without a write per line under load.
        while let Ok(line) = receiver.try_recv() {
            let _ = out.write_all(line.as_bytes());
        }
        let _ = out.flush();
    }
}

/// Logs one decision; never waits.
pub(crate) fn record(entry: &Entry<'_>) {
    let Some(log) = LOG.get() else {
        return;
    };
    #[derive(Serialize)]
    struct Line<'a> {
        time: String,
        #[serde(flatten)]
        entry: &'a Entry<'a>,
    }
    let Ok(mut line) = serde_json::to_string(&Line {
        time: rfc3339(SystemTime::now()),
        entry,
    }) else {
        return;
    };
    line.push('\n');
    match log.lines.try_send(line) {
        Ok(()) => {}
        Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
            log.dropped.fetch_add(1, Ordering::Relaxed);
            if let Some(metrics) = crate::metrics::enabled() {
                metrics.decision_log_dropped.inc();
            }
        }
    }
}

/// `2026-12-03T10:30:55.123Z`.
fn rfc3339(at: SystemTime) -> String {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        since.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let at = UNIX_EPOCH + Duration::from_millis(1_796_293_855_123);
        assert_eq!(rfc3339(at), "2026-12-03T10:30:55.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }
}
