//! Signals and graceful shutdown: SIGTERM (Kubernetes) or Ctrl-C starts it;
//! every listener then has `shutdown_timeout_seconds` to finish in-flight work.

/// Resolves on the first SIGTERM or Ctrl-C.
pub async fn signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "SIGTERM handler unavailable; Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
    tracing::info!("shutdown signal received");
}

/// Stops `server` gracefully when [`signal`] fires; resolves when it has stopped.
/// Build the server with `.disable_signals()` and the config's
/// `.shutdown_timeout(shutdown_timeout_seconds)`.
pub async fn run_until_signal(server: actix_web::dev::Server) -> std::io::Result<()> {
    let handle = server.handle();
    let stopper = tokio::spawn(async move {
        signal().await;
        handle.stop(true).await;
    });
    let result = server.await;
    stopper.abort();
    result
}
