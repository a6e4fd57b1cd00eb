//! `ratelimit-service [serve]`: runs the gRPC and HTTP listeners until SIGTERM/Ctrl-C.
//! `ratelimit-service policies`: prints the resolved policy table.
//! (`migrate` has nothing to do: the service keeps no database.)

use ratelimit_service::{Application, config::Config, policy::PolicyTable};
use service_kit::Command;

#[derive(Debug, clap::Subcommand)]
enum Extra {
    /// Print the resolved tier × route-class table and exit.
    Policies,
}

/// Prints the table; a closed pipe (`| head`) just ends the output.
fn print_policies(table: &PolicyTable) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{:<24} {:>8} {:>8} {:>7} {:>7}",
        "policy", "limit", "window", "burst", "shadow"
    );
    for p in table.policies() {
        let line = format!(
            "{:<24} {:>8} {:>7}s {:>7} {:>7}",
            p.name, p.limit, p.window_seconds, p.burst, p.shadow
        );
        if writeln!(out, "{line}").is_err() {
            return;
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let kit = service_kit::start::<Config, Extra>()?;
    let config = kit.config;
    match kit.command {
        Command::Serve => {
            let app = Application::build(config.clone()).await?;
            tracing::info!(
                grpc_port = app.grpc_port(),
                http_port = app.http_port(),
                prefix = %config.prefix,
                redis = %config.redis.url,
                failure_policy = config.failure_policy.as_str(),
                timeout_ms = config.timeout_ms,
                "ratelimit-service listening"
            );
            app.run_until_stopped(service_kit::shutdown::signal())
                .await?;
        }
        Command::Migrate => tracing::info!("ratelimit keeps no database: nothing to migrate"),
        Command::Service(Extra::Policies) => print_policies(&PolicyTable::from_config(&config)?),
    }
    Ok(())
}
