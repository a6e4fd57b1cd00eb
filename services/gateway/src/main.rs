//! `gateway [serve]`: loads `GATEWAY__*` configuration, starts telemetry, serves
//! until SIGTERM/Ctrl-C, then drains in-flight requests.

use clap::{Parser, Subcommand};
use gateway::{Application, config::Config};

#[derive(Parser)]
#[command(name = "gateway", about = "The platform's edge gateway")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway (the default).
    Serve,
    /// Print the effective configuration (routes included) as JSON.
    Config,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config: Config = service_config::load("GATEWAY")?;
    if let Some(Command::Config) = cli.command {
        let mut shown = config.clone();
        shown.redis_url = without_credentials(&shown.redis_url);
        println!("{}", serde_json::to_string_pretty(&shown)?);
        return Ok(());
    }
    let _telemetry = telemetry::init("gateway");
    let app = Application::build(config).await?;
    tracing::info!(
        port = app.port(),
        internal_port = app.internal_port(),
        "gateway listening"
    );
    app.run_until_signal().await?;
    tracing::info!("gateway stopped");
    Ok(())
}

/// `redis://user:secret@host` → `redis://***@host`.
fn without_credentials(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!("{}***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}
