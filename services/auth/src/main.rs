//! `auth-service [serve]` runs the service; `auth-service migrate` only migrates.

use auth_service::{Application, Config, MIGRATIONS};
use service_kit::{Command, NoExtra, database};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let kit = service_kit::start::<Config, NoExtra>()?;
    match kit.command {
        Command::Serve => {
            let app = Application::build(kit.config).await?;
            tracing::info!(
                http_port = app.http_port(),
                grpc_port = app.grpc_port(),
                "auth listening"
            );
            app.run_until_stopped().await?;
        }
        Command::Migrate => database::migrate(&kit.config.database, MIGRATIONS).await?,
        Command::Service(never) => match never {},
    }
    Ok(())
}
