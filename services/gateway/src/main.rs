//! `gateway [serve]`: loads `GATEWAY__*` configuration, serves until
//! SIGTERM/Ctrl-C, then drains in-flight requests. `gateway config` prints the
//! effective configuration (routes included; secrets redacted) as JSON.

use gateway::{Application, config::Config};
use service_kit::Command;

#[derive(Debug, clap::Subcommand)]
enum Extra {
    /// Print the effective configuration (routes included) as JSON.
    Config,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let kit = service_kit::start::<Config, Extra>()?;
    match kit.command {
        Command::Serve => {
            let app = Application::build(kit.config).await?;
            tracing::info!(
                port = app.port(),
                internal_port = app.internal_port(),
                "gateway listening"
            );
            app.run_until_signal().await?;
            tracing::info!("gateway stopped");
        }
        Command::Migrate => tracing::info!("the gateway keeps no database: nothing to migrate"),
        Command::Service(Extra::Config) => {
            println!("{}", serde_json::to_string_pretty(&kit.config)?);
        }
    }
    Ok(())
}
