//! `admin-api [serve]` runs the service; `admin-api migrate` only migrates;
//! `admin-api seed --tenant <uuid> [--customers N]` loads a demo shop.

use admin_api::{Application, Config, MIGRATIONS};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "admin-api", about = "Sumeru Admin API v1")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP service (default).
    Serve,
    /// Create the database if missing and run pending migrations.
    Migrate,
    /// Seed a demo shop.
    Seed(admin_api::seed::SeedArgs),
    /// Print the OpenAPI document.
    Openapi,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    let config: Config = service_config::load("ADMIN_API")?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let _guard = telemetry::init("admin-api");
            let app = Application::build(config).await?;
            tracing::info!(port = app.port(), "admin-api listening");
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            db::create_database_if_missing(&config.database_url).await?;
            db::migrate(&config.database_url, MIGRATIONS).await?;
        }
        Command::Seed(args) => {
            db::create_database_if_missing(&config.database_url).await?;
            db::migrate(&config.database_url, MIGRATIONS).await?;
            let report = admin_api::seed::run(&config.database_url, &args).await?;
            println!("{report}");
        }
        Command::Openapi => println!(
            "{}",
            serde_json::to_string_pretty(&admin_api::openapi::document())?
        ),
    }
    Ok(())
}
