//! Sume Generation API v1 (seed `002`): the app factory used by `main` and the
//! tests, and the generation data layer the worker shares (the worker is the
//! second deployable of this service: same database, same migrations).

pub mod body;
pub mod config;
pub mod credits;
pub mod directory;
pub mod errors;
pub mod ids;
pub mod models;
pub mod openapi;
pub mod requests;
pub mod routes;
pub mod seed;
pub mod storage;
pub mod views;
pub mod webhooks;

use actix_web::{App, HttpServer, dev::Server, web};
use auth_core::jwt::JwtVerifier;
use error_envelope::{Dialect, RequestContext, extractor_configs, not_found_handler};
use query::CursorCodec;
use service_kit::{database, health::Readiness, metrics::Metrics};
use std::{collections::BTreeMap, net::TcpListener, sync::Arc, time::Duration};

pub use config::Config;

/// The service's migrations (the idempotency table first, copied from `crates/idempotency`).
pub const MIGRATIONS: diesel_migrations::EmbeddedMigrations = db::embed_migrations!("migrations");

/// The queue of generation jobs.
pub fn job_queue() -> jobs::Queue {
    jobs::Queue::new(jobs::QueueConfig::new(models::JOBS_TABLE))
        .unwrap_or_else(|_| unreachable!("`jobs` is a valid table name"))
}

/// The queue of webhook deliveries (the outbox).
pub fn delivery_queue() -> jobs::Queue {
    let mut config = jobs::QueueConfig::new(models::DELIVERIES_TABLE);
    config.base_backoff = Duration::from_secs(5);
    config.max_backoff = Duration::from_secs(3600);
    jobs::Queue::new(config)
        .unwrap_or_else(|_| unreachable!("`webhook_deliveries` is a valid table name"))
}

/// Shared by all handlers.
pub struct AppState {
    pub pool: db::Pool,
    pub codec: CursorCodec,
    pub storage: storage::Storage,
    pub directory: directory::Directory,
    pub jobs: jobs::Queue,
    pub deliveries: jobs::Queue,
    pub public_base_url: String,
    pub development: bool,
    pub providers: BTreeMap<String, String>,
    pub job_deadline_seconds: i64,
    pub job_max_attempts: i32,
}

impl AppState {
    /// The provider of a new job: `local` in test mode, else the configured one.
    pub fn provider_for(&self, job_type: requests::JobType, mode: credits::Mode) -> &str {
        match mode {
            credits::Mode::Test => "local",
            credits::Mode::Live => self
                .providers
                .get(job_type.as_str())
                .map(String::as_str)
                .unwrap_or("local"),
        }
    }
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Builds the service with the JWKS verifier of the configuration.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let verifier = JwtVerifier::remote(config.jwks_url.clone(), config.audience.clone());
        Self::build_with(config, verifier).await
    }

    /// Builds the service with a given verifier (tests: `TestSigner::verifier("generation-api")`).
    pub async fn build_with(config: Config, verifier: JwtVerifier) -> anyhow::Result<Self> {
        let pool = database::open(&config.database, MIGRATIONS).await?;
        let mut metrics = Metrics::new("generation-api");
        database::register_metrics(&mut metrics, &pool);
        let metrics = Arc::new(metrics);
        let readiness = Arc::new(database::require_ready(Readiness::new(), &pool));
        let listener = TcpListener::bind(&config.listen)?;
        let port = listener.local_addr()?.port();
        let verifier = web::Data::new(verifier);
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            codec: CursorCodec::new(config.cursor_secret.expose()),
            storage: storage::Storage::local(&config.storage)?,
            directory: directory::Directory::new(
                &config.auth_url,
                config.auth_operator_token.clone(),
            ),
            jobs: job_queue(),
            deliveries: delivery_queue(),
            public_base_url: config.public_base_url.clone(),
            development: config.environment == service_kit::config::Environment::Development,
            providers: config.providers.clone(),
            job_deadline_seconds: config.job_deadline_seconds,
            job_max_attempts: config.job_max_attempts,
        });
        let body_limit = config.body_limit_bytes;
        if config.idempotency_purge_interval_seconds > 0 {
            idempotency::spawn_purge(
                pool,
                Duration::from_secs(config.idempotency_purge_interval_seconds),
            );
        }
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(verifier.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .configure(extractor_configs(body_limit))
                .configure(service_kit::observability_routes(
                    Arc::clone(&readiness),
                    Arc::clone(&metrics),
                ))
                .configure(routes::configure)
                .default_service(web::to(not_found_handler))
                .wrap(telemetry::tracing_logger())
                .wrap(RequestContext::new(Dialect::Generation))
                .wrap(metrics.request_metrics())
        })
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(config.shutdown_timeout_seconds);
        if config.workers > 0 {
            server = server.workers(config.workers);
        }
        Ok(Self {
            port,
            server: server.run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/Ctrl-C, then drains (`shutdown_timeout_seconds`).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        service_kit::shutdown::run_until_signal(self.server).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_idempotency_migration_is_the_crates_schema() {
        assert_eq!(
            include_str!("../migrations/2026-12-02-000000_idempotency/up.sql"),
            idempotency::SCHEMA_SQL
        );
    }

    #[test]
    fn the_jobs_tables_carry_every_queue_column() {
        let migration = include_str!("../migrations/2026-12-02-000001_generation/up.sql");
        for column in jobs::QUEUE_COLUMNS_SQL
            .lines()
            .filter_map(|l| l.strip_prefix("--   "))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|c| c.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_'))
        {
            for table in ["CREATE TABLE jobs (", "CREATE TABLE webhook_deliveries ("] {
                let start = migration.find(table).unwrap_or_default();
                let body =
                    &migration[start..start + migration[start..].find(");").unwrap_or_default()];
                assert!(
                    body.contains(&format!("\n    {column} ")),
                    "{table} lacks {column}"
                );
            }
        }
    }
}
