//! `generation-api [serve]` runs the service; `migrate` only migrates; `seed`
//! loads a demo workspace; `plan`, `grant`, `grant-monthly` and
//! `webhook-secret` are the operator's actions; `openapi` prints the document.

use diesel_async::{AsyncConnection, AsyncPgConnection};
use generation_api::{Application, Config, MIGRATIONS, credits, seed};
use service_kit::{Command, database};

#[derive(Debug, clap::Subcommand)]
enum Extra {
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
    let kit = service_kit::start::<Config, Extra>()?;
    let config = kit.config;
    let operator = async || -> anyhow::Result<AsyncPgConnection> {
        database::migrate(&config.database, MIGRATIONS).await?;
        Ok(AsyncPgConnection::establish(config.database.url.expose()).await?)
    };
    match kit.command {
        Command::Serve => {
            let app = Application::build(config.clone()).await?;
            tracing::info!(port = app.port(), "generation-api listening");
            app.run_until_stopped().await?;
        }
        Command::Migrate => database::migrate(&config.database, MIGRATIONS).await?,
        Command::Service(Extra::Seed(args)) => {
            operator().await?;
            println!("{}", seed::run(config.database.url.expose(), &args).await?);
        }
        Command::Service(Extra::Plan { workspace, plan }) => {
            anyhow::ensure!(
                credits::PLANS.contains(&plan.as_str()),
                "plan must be one of {}",
                credits::PLANS.join(", ")
            );
            credits::set_plan(&mut operator().await?, workspace, &plan, None).await?;
            println!("workspace {workspace}: plan {plan}");
        }
        Command::Service(Extra::Grant {
            workspace,
            amount,
            note,
        }) => {
            anyhow::ensure!(amount > 0, "amount must be positive");
            let mut conn = operator().await?;
            credits::grant(&mut conn, workspace, amount, &note).await?;
            let a = credits::account(&mut conn, workspace, credits::Mode::Live).await?;
            println!(
                "workspace {workspace}: granted {amount}, balance {}",
                a.balance
            );
        }
        Command::Service(Extra::GrantMonthly { workspace }) => {
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
        Command::Service(Extra::WebhookSecret { workspace, test }) => {
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
        Command::Service(Extra::Openapi) => println!(
            "{}",
            serde_json::to_string_pretty(&generation_api::openapi::document())?
        ),
    }
    Ok(())
}
