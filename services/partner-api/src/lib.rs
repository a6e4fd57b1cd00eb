//! Sumidata Partner API: read-only events, logs, sessions and health behind the
//! gateway (internal JWT, aud `partner-api`), plus the unauthenticated SDK
//! ingest `POST /sdk/ingest`.
//!
//! [`Application::build`] migrates (when configured), creates the monthly
//! partitions around now, binds the listener and returns the server; `main`
//! and the integration tests both use it.

pub mod config;
pub mod ingest;
pub mod models;
pub mod openapi;
pub mod projects;
mod routes;
pub mod schema;
pub mod seed;
pub mod views;

use actix_web::{App, HttpServer, dev::Server, web};
use auth_core::{Principal, jwt::JwtVerifier};
use error_envelope::{ApiError, Dialect, RequestContext, extractor_configs, not_found_handler};
use service_kit::{database, health::Readiness, metrics::Metrics};
use std::{net::TcpListener, sync::Arc, time::Duration};
use uuid::Uuid;

pub use config::Config;

/// Embedded diesel migrations of this service.
pub const MIGRATIONS: diesel_migrations::EmbeddedMigrations = db::embed_migrations!("migrations");

/// Shared by every worker.
pub struct AppState {
    pub config: Config,
    pub pool: db::Pool,
    pub projects: projects::ProjectResolver,
    pub partitions: models::partitions::Partitions,
}

impl AppState {
    /// The state over `pool` (see `service_kit::database::open`).
    pub fn new(config: Config, pool: db::Pool) -> anyhow::Result<Self> {
        let projects = projects::ProjectResolver::new(
            &config.auth_grpc_url,
            Duration::from_secs(config.project_cache_ttl_seconds),
            Duration::from_secs(config.project_negative_ttl_seconds),
        )?;
        Ok(Self {
            config,
            pool,
            projects,
            partitions: Default::default(),
        })
    }

    /// The project (tenant) of an authenticated caller, learning its public id on the way.
    pub async fn project_of(&self, principal: &Principal) -> Result<Uuid, ApiError> {
        if let Some(public_id) = &principal.public_id {
            self.projects
                .learn(&self.pool, public_id, principal.tenant_id)
                .await?;
        }
        Ok(principal.tenant_id)
    }

    /// Creates the partitions of the configured window around now.
    pub async fn maintain_partitions(&self) -> anyhow::Result<usize> {
        let mut conn = db::conn(&self.pool)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let p = &self.config.partitions;
        Ok(self
            .partitions
            .ensure_window(
                &mut conn,
                time::OffsetDateTime::now_utc(),
                p.months_back,
                p.months_ahead,
            )
            .await?)
    }

    async fn maintenance_tick(&self) -> anyhow::Result<()> {
        // Forget what we know so partitions dropped by an operator are re-created.
        self.maintain_partitions().await?;
        let mut conn = db::conn(&self.pool)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let pruned =
            models::dedup::prune(&mut conn, self.config.partitions.dedup_retention_days).await?;
        if pruned > 0 {
            tracing::info!(pruned, "pruned expired dedup entries");
        }
        Ok(())
    }
}

pub struct Application {
    port: u16,
    server: Server,
    state: Arc<AppState>,
}

impl Application {
    /// Builds the service with auth's remote JWKS.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let verifier = JwtVerifier::remote(config.jwks_url.clone(), config.audience.clone());
        Self::build_with_verifier(config, verifier).await
    }

    /// Builds the service with a given verifier (tests use `TestSigner::verifier`).
    pub async fn build_with_verifier(
        config: Config,
        verifier: JwtVerifier,
    ) -> anyhow::Result<Self> {
        let pool = database::open(&config.database, MIGRATIONS).await?;
        let mut metrics = Metrics::new("partner-api");
        database::register_metrics(&mut metrics, &pool);
        let metrics = Arc::new(metrics);
        let readiness = Arc::new(database::require_ready(Readiness::new(), &pool));
        let listener = TcpListener::bind(&config.listen)?;
        let port = listener.local_addr()?.port();
        let shutdown = config.shutdown_timeout_seconds;
        let max_body = config.ingest.max_body_bytes;
        let cors: Arc<[String]> = config.ingest.cors_allowed_origins.clone().into();
        let state = Arc::new(AppState::new(config, pool)?);
        state.maintain_partitions().await?;
        let data = web::Data::from(state.clone());
        let verifier = web::Data::new(verifier);
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(verifier.clone())
                .configure(extractor_configs(max_body))
                .configure(service_kit::observability_routes(
                    Arc::clone(&readiness),
                    Arc::clone(&metrics),
                ))
                .configure(routes::configure(max_body, Arc::clone(&cors)))
                .default_service(web::to(not_found_handler))
                .wrap(telemetry::tracing_logger())
                .wrap(RequestContext::new(Dialect::Admin))
                .wrap(metrics.request_metrics())
        })
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(shutdown)
        .run();
        Ok(Self {
            port,
            server,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> Arc<AppState> {
        self.state.clone()
    }

    /// Serves until SIGTERM/Ctrl-C, with an hourly partition/dedup maintenance task.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let state = self.state.clone();
        let maintenance = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(3600));
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = state.maintenance_tick().await {
                    tracing::warn!(error = %e, "maintenance failed");
                }
            }
        });
        let res = service_kit::shutdown::run_until_signal(self.server).await;
        maintenance.abort();
        res
    }
}
