//! `auth-service [serve]` runs the service; `auth-service migrate` only migrates.

use anyhow::Context;
use auth_service::{Application, Config};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "auth-service",
    about = "Token minting: API keys, internal JWTs, JWKS"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (default): operator API + JWKS on HTTP, Authenticate on gRPC.
    Serve,
    /// Create the database if missing and run pending migrations, then exit.
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _telemetry = telemetry::init("auth");
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let config: Config = service_config::load("AUTH").context("configuration")?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            auth_service::migrate(&config).await?;
            tracing::info!("migrations applied");
        }
        Command::Serve => {
            let app = Application::build(config).await?;
            tracing::info!(
                http_port = app.http_port(),
                grpc_port = app.grpc_port(),
                "auth listening"
            );
            app.run_until_stopped().await?;
        }
    }
    Ok(())
}
