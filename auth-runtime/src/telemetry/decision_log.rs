//! The decision log (`server.auth.decision_log: {path: FILE | stderr}`): one
//! JSON line per authentication, scope, route policy and access decision,
//! for audits. Never a token. Written by a thread of its own through a
//! bounded queue: a request never waits for the disk; when the queue is full
//! the line is dropped and counted (`webmethod_decision_log_dropped_total`).
//! A line the writer cannot write (a full disk, `/dev/full`, a closed
//! stderr) is lost and counted apart
//! (`webmethod_decision_log_write_errors_total`), and an ERROR says so, at
//! most once every 10 seconds, with the number lost since the previous one.
//!
//! A router's own (its `Telemetry`, inside its `Security`):
//! the app opens it once at startup and a reload keeps it; the writer ends
//! when the last router holding it is dropped.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderValue, Method};
use serde::Serialize;

use crate::config::ConfigError;
use crate::principal::User;
use crate::telemetry::metrics::Metrics;

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
    /// The user's tenant; absent when it has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<&'a str>,
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
        target: crate::route::target::Target,
        request: &'a axum::extract::Request,
        user: Option<&'a User>,
    ) -> Self {
        let request_id = Some(crate::serve::request_id::of(request)).filter(|id| !id.is_empty());
        Entry::new(
            decision,
            request_id,
            target.route_name(),
            request.method().as_str(),
            user,
        )
    }

    /// An entry about a request a handler checks with `Access`, for `user`.
    pub(crate) fn in_context(
        decision: &'static str,
        context: &'a Context,
        user: Option<&'a User>,
    ) -> Self {
        Entry::new(
            decision,
            context.request_id(),
            context.route,
            context.method.as_str(),
            user,
        )
    }

    /// An entry with the request's facts and the user's, every other field
    /// empty and the outcome `denied` until said otherwise.
    fn new(
        decision: &'static str,
        request_id: Option<&'a str>,
        route: &'a str,
        method: &'a str,
        user: Option<&'a User>,
    ) -> Self {
        Entry {
            decision,
            request_id,
            principal: user.map(|u| u.principal.as_str()),
            provider: user.and_then(|u| u.provider.as_deref()),
            tenant: user.and_then(User::tenant),
            route,
            method,
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

/// An open decision log: the queue to its writer thread.
pub(crate) struct DecisionLog {
    lines: SyncSender<String>,
    dropped: AtomicU64,
    /// Where dropped lines are counted, when metrics are on.
    metrics: Option<Arc<Metrics>>,
}

impl DecisionLog {
    /// Opens the log: `stderr`, or a file appended to, written by a thread
    /// of its own (which ends when this value is dropped); lines lost are
    /// counted in `metrics`.
    pub(crate) fn open(
        path: &str,
        metrics: Option<Arc<Metrics>>,
    ) -> Result<DecisionLog, ConfigError> {
        let out: Box<dyn Write + Send> = if path == "stderr" {
            Box::new(std::io::stderr())
        } else {
            Box::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| {
                        ConfigError::field(
                            "server.auth.decision_log.path",
                            format!("cannot open {path}: {e}"),
                        )
                    })?,
            )
        };
        let (lines, receiver) = sync_channel(QUEUE);
        let counted = metrics.clone();
        std::thread::Builder::new()
            .name("webmethod-decision-log".into())
            .spawn(move || write_all(receiver, out, counted))
            .map_err(|e| {
                ConfigError::field(
                    "server.auth.decision_log",
                    format!("cannot start its writer: {e}"),
                )
            })?;
        Ok(DecisionLog {
            lines,
            dropped: AtomicU64::new(0),
            metrics,
        })
    }

    /// Logs one decision; never waits.
    pub(crate) fn record(&self, entry: &Entry<'_>) {
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
        match self.lines.try_send(line) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                if let Some(metrics) = &self.metrics {
                    metrics.decision_log_dropped();
                }
            }
        }
    }
}

fn write_all(
    receiver: Receiver<String>,
    out: Box<dyn Write + Send>,
    metrics: Option<Arc<Metrics>>,
) {
    let mut writer = Writer::new(out);
    writer.metrics = metrics;
    let mut batch = Vec::with_capacity(64 * 1024);
    loop {
        // While lines are being lost, wake up in time to say how many.
        let line = match writer.report_due_in() {
            None => match receiver.recv() {
                Ok(line) => line,
                Err(_) => return,
            },
            Some(wait) => match receiver.recv_timeout(wait) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout) => {
                    writer.report(Instant::now());
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            },
        };
        // One write per drained queue: lines reach the file promptly
        // without a write per line under load.
        batch.clear();
        batch.extend_from_slice(line.as_bytes());
        while let Ok(line) = receiver.try_recv() {
            batch.extend_from_slice(line.as_bytes());
            if batch.len() >= BATCH {
                break;
            }
        }
        writer.write(&batch, Instant::now());
    }
}

/// Bytes written at once, at most (more lines wait for the next write).
const BATCH: usize = 256 * 1024;

/// How often, at most, an ERROR says that lines are being lost.
const REPORT_EVERY: Duration = Duration::from_secs(10);

/// The writer's side: writes batches of whole lines and counts, in the
/// metrics and in a rate-limited ERROR, the lines a failing write lost.
struct Writer<W> {
    out: W,
    /// A failed write left part of a line: the next write ends it first,
    /// so the line after it stays parseable.
    torn: bool,
    /// Lines lost since the last ERROR.
    lost: u64,
    /// The last ERROR, while writes are failing.
    reported_at: Option<Instant>,
    /// Why the last write failed.
    last_error: String,
    /// Where lost lines are counted, when metrics are on.
    metrics: Option<Arc<Metrics>>,
}

impl<W: Write> Writer<W> {
    fn new(out: W) -> Self {
        Writer {
            out,
            torn: false,
            lost: 0,
            reported_at: None,
            last_error: String::new(),
            metrics: None,
        }
    }

    /// Writes `batch` (whole lines); a failure counts the lines it lost.
    fn write(&mut self, batch: &[u8], now: Instant) {
        let mut failed = None;
        if self.torn {
            match write_fully(&mut self.out, b"\n") {
                Ok(_) => self.torn = false,
                Err((_, e)) => failed = Some((0, e)),
            }
        }
        if failed.is_none() {
            match write_fully(&mut self.out, batch).and_then(|n| {
                self.out.flush().map_err(|e| (n, e))?;
                Ok(n)
            }) {
                Ok(_) => {}
                Err((written, e)) => {
                    self.torn = written > 0 && batch.get(written - 1) != Some(&b'\n');
                    failed = Some((written, e));
                }
            }
        }
        match failed {
            None => {
                if self.reported_at.is_some() {
                    // Say what was lost since the last ERROR, and that it is over.
                    let lost = std::mem::take(&mut self.lost);
                    self.reported_at = None;
                    tracing::warn!(
                        target: "webmethod::decision_log",
                        lost_since_last_report = lost,
                        "the decision log is written again"
                    );
                }
            }
            Some((written, e)) => {
                // Every line whose end was not written is lost.
                let lost = batch
                    .get(written..)
                    .unwrap_or_default()
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count() as u64;
                self.lost += lost;
                self.last_error = e.to_string();
                if let Some(metrics) = &self.metrics {
                    metrics.decision_log_write_errors(lost);
                }
                if self
                    .reported_at
                    .is_none_or(|at| now.duration_since(at) >= REPORT_EVERY)
                {
                    self.report(now);
                }
            }
        }
    }

    /// When the next ERROR is due, while lines lost are not yet reported.
    fn report_due_in(&self) -> Option<Duration> {
        match self.reported_at {
            Some(at) if self.lost > 0 => Some(REPORT_EVERY.saturating_sub(at.elapsed())),
            _ => None,
        }
    }

    /// The ERROR: how many lines were lost since the last one, and why.
    fn report(&mut self, now: Instant) {
        if self.lost == 0 {
            return;
        }
        let lost = std::mem::take(&mut self.lost);
        self.reported_at = Some(now);
        tracing::error!(
            target: "webmethod::decision_log",
            lost_since_last_report = lost,
            error = self.last_error.as_str(),
            "the decision log cannot be written: decisions are lost (counted in \
             webmethod_decision_log_write_errors_total; at most one such line every {REPORT_EVERY:?})"
        );
    }
}

/// `write_all` that says how many bytes were written before it failed.
fn write_fully(out: &mut impl Write, mut bytes: &[u8]) -> Result<usize, (usize, std::io::Error)> {
    let total = bytes.len();
    while !bytes.is_empty() {
        match out.write(bytes) {
            Ok(0) => {
                return Err((
                    total - bytes.len(),
                    std::io::Error::from(std::io::ErrorKind::WriteZero),
                ));
            }
            Ok(n) => bytes = bytes.get(n..).unwrap_or_default(),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err((total - bytes.len(), e)),
        }
    }
    Ok(total)
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

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let at = UNIX_EPOCH + Duration::from_millis(1_796_293_855_123);
        assert_eq!(rfc3339(at), "2026-12-03T10:30:55.123Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn lines_a_full_device_refuses_are_counted_and_reported_every_ten_seconds() {
        let Ok(full) = std::fs::OpenOptions::new().append(true).open("/dev/full") else {
            panic!("this test needs /dev/full (Linux)");
        };
        let mut writer = Writer::new(full);
        let t0 = Instant::now();
        writer.write(b"{}\n{}\n{}\n", t0);
        // The first failure is reported at once.
        assert_eq!(writer.reported_at, Some(t0));
        assert_eq!(writer.lost, 0);
        assert!(!writer.last_error.is_empty());
        // Within ten seconds: counted, not reported yet.
        writer.write(b"{}\n{}\n", t0 + Duration::from_secs(1));
        assert_eq!(writer.lost, 2);
        assert_eq!(writer.reported_at, Some(t0));
        assert!(writer.report_due_in().is_some());
        // Ten seconds on: reported with the count, which starts again.
        let t1 = t0 + REPORT_EVERY;
        writer.write(b"{}\n", t1);
        assert_eq!((writer.lost, writer.reported_at), (0, Some(t1)));
        assert_eq!(writer.report_due_in(), None, "nothing left to report");
    }

    /// A disk that takes `room` bytes, then refuses until it is given more.
    struct Disk {
        written: Vec<u8>,
        room: usize,
    }

    impl Write for Disk {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if self.room == 0 {
                return Err(std::io::Error::other("no space left"));
            }
            let n = bytes.len().min(self.room);
            self.room -= n;
            self.written.extend_from_slice(&bytes[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_line_cut_by_a_failing_write_is_lost_and_ended_before_the_next() {
        let mut writer = Writer::new(Disk {
            written: Vec::new(),
            room: 10,
        });
        let now = Instant::now();
        // The first line fits, the second is cut after 2 bytes.
        writer.write(b"{\"a\":1}\n{\"b\":2}\n", now);
        assert_eq!(writer.out.written, b"{\"a\":1}\n{\"");
        assert!(writer.torn);
        assert!(writer.reported_at.is_some());
        // Room again: the cut line is ended, the next line is whole, and
        // the recovery is said.
        writer.out.room = usize::MAX;
        writer.write(b"{\"c\":3}\n", now);
        assert_eq!(writer.out.written, b"{\"a\":1}\n{\"\n{\"c\":3}\n");
        assert!(!writer.torn);
        assert_eq!(writer.reported_at, None);
    }
}
