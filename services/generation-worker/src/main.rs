//! `generation-worker [serve]`: claims and runs generation jobs and delivers
//! webhooks until SIGTERM or Ctrl-C, then lets in-flight jobs finish;
//! `migrate` applies generation-api's migrations.

use generation_worker::Config;
use service_kit::{Command, NoExtra, database};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let kit = service_kit::start::<Config, NoExtra>()?;
    let config = kit.config;
    match kit.command {
        Command::Serve => {
            if config.database.run_migrations {
                database::migrate(&config.database, generation_api::MIGRATIONS).await?;
            }
            let ctx = generation_worker::context(config.clone())?;
            if !config.listen.is_empty() {
                tokio::spawn(generation_worker::observability_server(
                    &config.listen,
                    &ctx,
                )?);
            }
            let (tx, rx) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                service_kit::shutdown::signal().await;
                tracing::info!("shutting down: finishing in-flight jobs");
                let _ = tx.send(true);
            });
            generation_worker::run(ctx, rx).await?;
        }
        Command::Migrate => database::migrate(&config.database, generation_api::MIGRATIONS).await?,
        Command::Service(never) => match never {},
    }
    Ok(())
}
