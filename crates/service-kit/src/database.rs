//! The service's own PostgreSQL database from [`DatabaseConfig`] (feature `db`):
//! migrations on start-up when configured, the pool, its readiness probe and
//! its metrics.

use crate::{
    config::DatabaseConfig,
    health::Readiness,
    metrics::{Metrics, PoolUsage},
};
use diesel_async::RunQueryDsl;
use diesel_migrations::EmbeddedMigrations;

/// Creates the database if missing and runs pending migrations (`migrate`).
pub async fn migrate(
    config: &DatabaseConfig,
    migrations: EmbeddedMigrations,
) -> anyhow::Result<()> {
    db::create_database_if_missing(config.url.expose()).await?;
    db::migrate(config.url.expose(), migrations).await?;
    tracing::info!(database = %config.url, "migrations applied");
    Ok(())
}

/// Migrates when `run_migrations`, then builds the pool (connections are made
/// lazily, each under `statement_timeout_seconds`).
pub async fn open(
    config: &DatabaseConfig,
    migrations: EmbeddedMigrations,
) -> anyhow::Result<db::Pool> {
    if config.run_migrations {
        migrate(config, migrations).await?;
    }
    let timeout = (config.statement_timeout_seconds > 0.0)
        .then(|| std::time::Duration::from_secs_f64(config.statement_timeout_seconds));
    Ok(db::pool_with_statement_timeout(
        config.url.expose(),
        config.pool_size,
        timeout,
    )?)
}

/// Registers `postgres` as a required readiness check (`SELECT 1` on a pooled connection).
pub fn require_ready(readiness: Readiness, pool: &db::Pool) -> Readiness {
    let pool = pool.clone();
    readiness.require("postgres", move || {
        let pool = pool.clone();
        async move {
            match pool.get().await {
                Ok(mut conn) => diesel::sql_query("SELECT 1")
                    .execute(&mut conn)
                    .await
                    .is_ok(),
                Err(_) => false,
            }
        }
    })
}

/// Registers the pool's `db_pool_*` metrics as `postgres`.
pub fn register_metrics(metrics: &mut Metrics, pool: &db::Pool) {
    let pool = pool.clone();
    metrics.register_pool("postgres", move || {
        let s = pool.status();
        PoolUsage {
            max_size: s.max_size,
            size: s.size,
            available: s.available,
        }
    });
}
