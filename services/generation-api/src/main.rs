//! `generation-api [serve]` runs the service; `migrate` only migrates; `seed`
//! loads a demo workspace; `plan`, `grant`, `grant-monthly` are the operator's
//! credit actions; `openapi` prints the document.

use clap::{Parser, Subcommand};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use generation_api::{Application, Config, MIGRATIONS, credits, seed};

#[derive(Parser)]
#[command(name = "generation-api", about = "Sume Generation API v1")]
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
    /// Seed a demo workspace (plan, monthly credits, brand profile, avatars).
    Seed(seed::SeedArgs),
    /// Set a workspace's plan: free | starter | growth | enterprise.
    Plan {
        #[arg(long)]
        workspace: uuid::Uuid,
        #[arg(long)]
        plan: String,
    },
    /// Grant live credits to a workspace.
    Grant {
        #[arg(long)]
        workspace: uuid::Uuid,
        #[arg(long)]
        amount: i64,
        #[arg(long, default_value = "operator grant")]
        note: String,
    },
    /// Grant the plan's monthly credits for the current month (once per month; run it from a cron job).
    GrantMonthly {
        #[arg(long)]
        workspace: uuid::Uuid,
    },
    /// Print the workspace's webhook signing secret (`whsec_…`), creating it if needed.
    WebhookSecret {
        #[arg(long)]
        workspace: uuid::Uuid,
        /// The secret of test mode (`sume_test_` keys) instead of live.
        #[arg(long)]
        test: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cli = Cli::parse();
    let config: Config = service_config::load("GENERATION_API")?;
    let operator = async || -> anyhow::Result<AsyncPgConnection> {
        db::create_database_if_missing(&config.database_url).await?;
        db::migrate(&config.database_url, MIGRATIONS).await?;
        Ok(AsyncPgConnection::establish(&config.database_url).await?)
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let _guard = telemetry::init("generation-api");
            let app = Application::build(config).await?;
            tracing::info!(port = app.port(), "generation-api listening");
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            db::create_database_if_missing(&config.database_url).await?;
            db::migrate(&config.database_url, MIGRATIONS).await?;
        }
        Command::Seed(args) => {
            operator().await?;
            println!("{}", seed::run(&config.database_url, &args).await?);
        }
        Command::Plan { workspace, plan } => {
            anyhow::ensure!(
                credits::PLANS.contains(&plan.as_str()),
                "plan must be one of {}",
                credits::PLANS.join(", ")
            );
            credits::set_plan(&mut operator().await?, workspace, &plan, None).await?;
            println!("workspace {workspace}: plan {plan}");
        }
        Command::Grant {
            workspace,
            amount,
            note,
        } => {
            anyhow::ensure!(amount > 0, "amount must be positive");
            let mut conn = operator().await?;
            credits::grant(&mut conn, workspace, amount, &note).await?;
            let a = credits::account(&mut conn, workspace, credits::Mode::Live).await?;
            println!(
                "workspace {workspace}: granted {amount}, balance {}",
                a.balance
            );
        }
        Command::GrantMonthly { workspace } => {
            let granted =
                credits::grant_monthly(&mut operator().await?, workspace, &seed::current_period())
                    .await?;
            println!(
                "workspace {workspace}: monthly grant {}",
                if granted {
                    "applied"
                } else {
                    "already applied"
                }
            );
        }
        Command::WebhookSecret { workspace, test } => {
            let mode = if test {
                credits::Mode::Test
            } else {
                credits::Mode::Live
            };
            let mut conn = operator().await?;
            credits::ensure_workspace(&mut conn, workspace).await?;
            println!(
                "{}",
                generation_api::webhooks::secret(&mut conn, workspace, mode).await?
            );
        }
        Command::Openapi => println!(
            "{}",
            serde_json::to_string_pretty(&generation_api::openapi::document())?
        ),
    }
    Ok(())
}
