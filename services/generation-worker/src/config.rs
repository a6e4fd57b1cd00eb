//! Configuration (`GENERATION_WORKER__FIELD` environment variables override
//! the local-development defaults below; unknown keys are refused, see `service_kit::config`).

use generation_api::storage::StorageConfig;
use serde::Deserialize;
use service_kit::config::{DatabaseConfig, Environment, OtelConfig, Secret, ServiceConfig};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub environment: Environment,
    /// `/healthz`, `/readyz` (the database answers) and `/metrics`; empty = no listener.
    pub listen: String,
    /// The generation database (owned by generation-api; `database.run_migrations`
    /// lets a worker started first migrate it too).
    pub database: DatabaseConfig,
    /// Shared with generation-api: outputs written here are served by it.
    pub storage: StorageConfig,
    /// This worker's lease owner name (default: host-pid-random).
    pub worker_id: Option<String>,
    /// Jobs run at once by this worker.
    pub concurrency: usize,
    /// Polling fallback when no NOTIFY arrives.
    pub poll_interval_ms: u64,
    /// How long a claim is valid without a heartbeat.
    pub lease_seconds: u64,
    pub heartbeat_interval_ms: u64,
    pub reaper_interval_ms: u64,
    /// Between two polls of a provider.
    pub provider_poll_interval_ms: u64,
    /// Consecutive transient provider errors before the attempt is retried later.
    pub provider_error_budget: u32,
    pub ffmpeg: String,
    pub replicate: crate::replicate::ReplicateConfig,
    /// Webhook deliveries in flight at once.
    pub webhook_concurrency: usize,
    pub webhook_timeout_ms: u64,
    /// Deliver to loopback/private addresses too (local development and tests only).
    pub webhook_allow_private: bool,
    /// Exit after this many jobs (0 = never; benchmarks and tests).
    pub max_jobs: u64,
    pub otel: OtelConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            environment: Environment::Development,
            listen: "127.0.0.1:8104".into(),
            database: DatabaseConfig {
                pool_size: 8,
                run_migrations: false,
                ..DatabaseConfig::local("platform_generation")
            },
            storage: StorageConfig::default(),
            worker_id: None,
            concurrency: 2,
            poll_interval_ms: 1000,
            lease_seconds: 15,
            heartbeat_interval_ms: 3000,
            reaper_interval_ms: 2000,
            provider_poll_interval_ms: 100,
            provider_error_budget: 5,
            ffmpeg: "ffmpeg".into(),
            replicate: crate::replicate::ReplicateConfig::default(),
            webhook_concurrency: 4,
            webhook_timeout_ms: 5000,
            webhook_allow_private: false,
            max_jobs: 0,
            otel: OtelConfig::default(),
        }
    }
}

impl ServiceConfig for Config {
    const PREFIX: &'static str = "GENERATION_WORKER";
    const SERVICE: &'static str = "generation-worker";

    fn environment(&self) -> Environment {
        self.environment
    }

    fn otel(&self) -> &OtelConfig {
        &self.otel
    }

    fn secrets(&self) -> Vec<(&'static str, &Secret)> {
        vec![("storage.signing_secret", &self.storage.signing_secret)]
    }
}
