//! Sume generation worker: the second deployable of the generation service.
//! It claims jobs from the generation database (crates/jobs), runs them on
//! providers (`local` built in, `replicate` by configuration), copies outputs
//! into the object store, settles credits, and delivers webhooks from the outbox.

pub mod config;
pub mod delivery;
pub mod local;
pub mod metrics;
pub mod provider;
pub mod render;
pub mod replicate;
pub mod runner;

pub use config::Config;

use generation_api::storage::Storage;
use provider::Provider;
use std::{collections::HashMap, sync::Arc};
use tokio::sync::watch;

/// Builds the shared context from the configuration.
pub fn context(config: Config) -> anyhow::Result<Arc<runner::Ctx>> {
    let pool = db::pool(config.database.url.expose(), config.database.pool_size)?;
    let storage = Storage::local(&config.storage)?;
    let mut providers: HashMap<String, Arc<dyn Provider>> = HashMap::new();
    providers.insert(
        "local".into(),
        Arc::new(local::LocalProvider::new(config.ffmpeg.clone())),
    );
    if !config.replicate.versions.is_empty() {
        providers.insert(
            "replicate".into(),
            Arc::new(replicate::ReplicateProvider::new(config.replicate.clone())),
        );
    }
    let worker_id = config.worker_id.clone().unwrap_or_else(|| {
        format!(
            "{}-{}-{}",
            std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into()),
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..6]
        )
    });
    let mut job_queue = jobs::QueueConfig::new(generation_api::models::JOBS_TABLE);
    job_queue.lease = std::time::Duration::from_secs(config.lease_seconds);
    Ok(Arc::new(runner::Ctx {
        jobs: jobs::Queue::new(job_queue)?,
        deliveries: generation_api::delivery_queue(),
        pool,
        storage,
        providers,
        worker_id,
        http: reqwest::Client::new(),
        finished: Default::default(),
        metrics: Default::default(),
        config,
    }))
}

/// The kit's `/healthz`, `/readyz` (the database answers) and `/metrics` on
/// `listen`, with the worker's own metrics (`crate::metrics`).
pub fn observability_server(
    listen: &str,
    ctx: &Arc<runner::Ctx>,
) -> anyhow::Result<actix_web::dev::Server> {
    use service_kit::{database, health::Readiness, metrics::Metrics};
    let pool = &ctx.pool;
    let mut metrics = Metrics::new("generation-worker");
    database::register_metrics(&mut metrics, pool);
    self::metrics::register(&mut metrics, ctx);
    let metrics = Arc::new(metrics);
    let readiness = Arc::new(database::require_ready(Readiness::new(), pool));
    Ok(actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .configure(service_kit::observability_routes(
                Arc::clone(&readiness),
                Arc::clone(&metrics),
            ))
            .wrap(metrics.request_metrics())
    })
    .workers(1)
    .disable_signals()
    .bind(listen)?
    .run())
}

/// Runs jobs, deliveries and the reaper until `shutdown` flips to true.
pub async fn run(ctx: Arc<runner::Ctx>, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    tracing::info!(worker = %ctx.worker_id, "generation worker started");
    let reaper = tokio::spawn(runner::run_reaper(ctx.clone(), shutdown.clone()));
    let deliveries = tokio::spawn(delivery::run_deliveries(ctx.clone(), shutdown.clone()));
    let result = runner::run_jobs(ctx, shutdown).await;
    reaper.abort();
    deliveries.abort();
    result
}
