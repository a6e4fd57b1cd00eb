//! `ratelimit-service [serve]`: runs the gRPC and HTTP listeners until SIGTERM/Ctrl-C.
//! `ratelimit-service policies`: prints the resolved policy table.

use clap::{Parser, Subcommand};
use ratelimit_service::{Application, config::Config, policy::PolicyTable};

#[derive(Parser)]
#[command(
    name = "ratelimit-service",
    about = "Rate-limit decisions and usage counters (gRPC), probes and metrics (HTTP)"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (default).
    Serve,
    /// Print the resolved tier × route-class table and exit.
    Policies,
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        };
        tokio::select! { _ = ctrl_c => {}, () = term => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutdown signal received");
}

/// Prints the table; a closed pipe (`| head`) just ends the output.
fn print_policies(table: &PolicyTable) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{:<24} {:>8} {:>8} {:>7} {:>7}",
        "policy", "limit", "window", "burst", "shadow"
    );
    for p in table.policies() {
        let line = format!(
            "{:<24} {:>8} {:>7}s {:>7} {:>7}",
            p.name, p.limit, p.window_seconds, p.burst, p.shadow
        );
        if writeln!(out, "{line}").is_err() {
            return;
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config: Config = service_config::load("RATELIMIT")?;
    if let Some(Command::Policies) = cli.command {
        print_policies(&PolicyTable::from_config(&config)?);
        return Ok(());
    }
    let _guard = telemetry::init("ratelimit-service");
    let app = Application::build(config.clone()).await?;
    tracing::info!(
        grpc_port = app.grpc_port(),
        http_port = app.http_port(),
        prefix = %config.prefix,
        failure_policy = config.failure_policy.as_str(),
        timeout_ms = config.timeout_ms,
        "ratelimit-service listening"
    );
    app.run_until_stopped(shutdown_signal()).await
}
