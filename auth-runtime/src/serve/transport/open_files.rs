//! The open-file limit (`RLIMIT_NOFILE`) the connection cap must fit in.

use super::Transport;

impl Transport {
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
}

/// Open files `fit_open_file_limit` keeps for the server itself besides
/// client connections: listeners, log and quota files, connections to
/// identity providers and Redis, the runtime's own.
pub(super) const RESERVED_FILE_DESCRIPTORS: u64 = 128;

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
