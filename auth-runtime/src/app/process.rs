//! The process around the server: logs on stderr, the signals that end it
//! (Ctrl-C, SIGTERM) and the one that reloads it (SIGHUP).

/// SIGHUP, listened for from before the server says where it listens: a
/// hangup sent as soon as the address is printed must reach the reload, not
/// the default action (which ends the process).
#[cfg(unix)]
pub(super) type Hangups = Option<tokio::signal::unix::Signal>;

#[cfg(not(unix))]
pub(super) type Hangups = ();

pub(super) fn listen_for_hangups() -> Hangups {
    #[cfg(unix)]
    return tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
}

/// Logs to stderr, filtered by `RUST_LOG` (default `info`). A subscriber the
/// app already installed is kept.
pub(super) fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a terminal: a log file gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}

pub(super) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
