//! `partner-api [serve]`, `partner-api migrate`, `partner-api seed --tenant … --project-id proj_…`.

use clap::{Parser, Subcommand};
use partner_api::{Application, Config};

#[derive(Parser)]
#[command(name = "partner-api", about = "Sumidata Partner API and SDK ingest")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (migrating first when `run_migrations` is true).
    Serve,
    /// Only run the migrations (the Kubernetes migration Job).
    Migrate,
    /// Seed a demo project with sessions, events (conversions among them) and logs.
    Seed(partner_api::seed::SeedArgs),
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let _telemetry = telemetry::init("partner-api");
    let cli = Cli::parse();
    let config = Config::load()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let app = Application::build(config).await?;
            tracing::info!(port = app.port(), "partner-api listening");
            app.run_until_stopped().await?;
        }
        Command::Migrate => partner_api::migrate(&config).await?,
        Command::Seed(args) => {
            let summary = partner_api::seed::run(config, args).await?;
            println!("{summary}");
        }
    }
    Ok(())
}
