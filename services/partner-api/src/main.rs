//! `partner-api [serve]`, `partner-api migrate`, `partner-api seed --tenant … --project-id proj_…`.

use partner_api::{Application, Config, MIGRATIONS};
use service_kit::{Command, database};

#[derive(Debug, clap::Subcommand)]
enum Extra {
    /// Seed a demo project with sessions, events (conversions among them) and logs.
    Seed(partner_api::seed::SeedArgs),
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let kit = service_kit::start::<Config, Extra>()?;
    let config = kit.config;
    match kit.command {
        Command::Serve => {
            Application::build(config)
                .await?
                .run_until_stopped()
                .await?
        }
        Command::Migrate => database::migrate(&config.database, MIGRATIONS).await?,
        Command::Service(Extra::Seed(args)) => {
            let summary = partner_api::seed::run(config, args).await?;
            println!("{summary}");
        }
    }
    Ok(())
}
