//! `admin-api [serve]` runs the service; `admin-api migrate` only migrates;
//! `admin-api seed --tenant <uuid> [--customers N]` loads a demo shop;
//! `admin-api openapi` prints the OpenAPI document.

use admin_api::{Application, Config, MIGRATIONS};
use service_kit::{Command, database};

#[derive(Debug, clap::Subcommand)]
enum Extra {
    /// Seed a demo shop (migrating first).
    Seed(admin_api::seed::SeedArgs),
    /// Print the OpenAPI document.
    Openapi,
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
            database::migrate(&config.database, MIGRATIONS).await?;
            let report = admin_api::seed::run(config.database.url.expose(), &args).await?;
            println!("{report}");
        }
        Command::Service(Extra::Openapi) => println!(
            "{}",
            serde_json::to_string_pretty(&admin_api::openapi::document())?
        ),
    }
    Ok(())
}
