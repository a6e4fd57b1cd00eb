//! `generation-worker [run]`: claims and runs generation jobs until SIGTERM or
//! Ctrl-C, then lets in-flight jobs finish.

use clap::{Parser, Subcommand};
use generation_worker::Config;

#[derive(Parser)]
#[command(name = "generation-worker", about = "Sume generation worker")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run jobs (default).
    #[command(alias = "serve")]
    Run,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let _cli = Cli::parse();
    let config: Config = service_config::load("GENERATION_WORKER")?;
    let _guard = telemetry::init("generation-worker");
    let health = if config.health_listen.is_empty() {
        None
    } else {
        let pool = db::pool(&config.database_url, 1)?;
        Some(generation_worker::health_server(
            &config.health_listen,
            pool,
        )?)
    };
    let ctx = generation_worker::context(config)?;
    if let Some(server) = health {
        tokio::spawn(server);
    }
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
        }
        tracing::info!("shutting down: finishing in-flight jobs");
        let _ = tx.send(true);
    });
    generation_worker::run(ctx, rx).await
}
