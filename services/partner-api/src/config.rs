//! Typed configuration (`PARTNER_API__FIELD` environment overrides, see
//! `service_config`). Defaults are for a developer machine.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    /// HTTP listen address (`127.0.0.1:0` in tests).
    pub listen: String,
    pub database_url: String,
    pub db_pool_size: usize,
    /// Run migrations (and create the database) on `serve`.
    pub run_migrations: bool,
    /// Auth's JWKS, used to verify the gateway's internal JWTs.
    pub jwks_url: String,
    /// The `aud` internal JWTs must carry.
    pub audience: String,
    /// Auth's gRPC endpoint, for `ResolveProject` of unknown ingest project ids.
    pub auth_grpc_url: String,
    /// How long a resolved project id is trusted in memory.
    pub project_cache_ttl_secs: u64,
    /// How long "no such project" is remembered (negative cache).
    pub project_negative_ttl_secs: u64,
    pub shutdown_timeout_secs: u64,
    pub ingest: IngestLimits,
    pub query: QueryLimits,
    pub partitions: PartitionConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct IngestLimits {
    /// Events + logs per request.
    pub max_items: usize,
    /// Raw body bytes per request.
    pub max_body_bytes: usize,
    /// Serialised `payload` bytes per event.
    pub max_payload_bytes: usize,
    /// A (skew-corrected) timestamp later than receivedAt + this is clamped to receivedAt.
    pub future_tolerance_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct QueryLimits {
    pub default_per_page: u32,
    pub max_per_page: u32,
    /// (page − 1) × perPage + perPage may not exceed this (deep OFFSET is refused).
    pub max_result_window: u64,
    /// Budget of the exact `totalCount`; beyond it the planner's estimate is returned
    /// (0: always the estimate).
    pub count_timeout_ms: u64,
    /// At most this many values in one `__in` list.
    pub max_in_values: usize,
    /// PostgreSQL `statement_timeout` of every connection of the pool (list
    /// queries beyond it answer 503 `query_timeout`); 0 = none.
    pub statement_timeout_ms: u64,
}

impl QueryLimits {
    /// The `q[…]` dialect's limits.
    pub fn page_limits(&self) -> query::PageLimits {
        query::PageLimits {
            default_per_page: self.default_per_page,
            max_per_page: self.max_per_page,
            max_result_window: self.max_result_window,
            max_in_values: self.max_in_values,
        }
    }

    pub fn statement_timeout(&self) -> Option<std::time::Duration> {
        (self.statement_timeout_ms > 0)
            .then(|| std::time::Duration::from_millis(self.statement_timeout_ms))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PartitionConfig {
    /// Monthly partitions created before the current month at start-up.
    pub months_back: u32,
    /// Monthly partitions created after the current month at start-up.
    pub months_ahead: u32,
    /// Dedup entries older than this are pruned (the dedup window).
    pub dedup_retention_days: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8102".into(),
            database_url: "postgres://postgres@127.0.0.1:5432/platform_partner".into(),
            db_pool_size: 16,
            run_migrations: true,
            jwks_url: "http://127.0.0.1:8181/.well-known/jwks.json".into(),
            audience: "partner-api".into(),
            auth_grpc_url: "http://127.0.0.1:50051".into(),
            project_cache_ttl_secs: 300,
            project_negative_ttl_secs: 30,
            shutdown_timeout_secs: 10,
            ingest: IngestLimits::default(),
            query: QueryLimits::default(),
            partitions: PartitionConfig::default(),
        }
    }
}

impl Default for IngestLimits {
    fn default() -> Self {
        Self {
            max_items: 500,
            max_body_bytes: 1024 * 1024,
            max_payload_bytes: 32 * 1024,
            future_tolerance_secs: 60,
        }
    }
}

impl Default for QueryLimits {
    fn default() -> Self {
        Self {
            default_per_page: 50,
            max_per_page: 200,
            max_result_window: 10_000,
            count_timeout_ms: 1_000,
            max_in_values: 100,
            statement_timeout_ms: 5_000,
        }
    }
}

impl Default for PartitionConfig {
    fn default() -> Self {
        Self {
            months_back: 2,
            months_ahead: 2,
            dedup_retention_days: 30,
        }
    }
}

impl Config {
    pub fn load() -> anyhow::Result<Self> {
        service_config::load("PARTNER_API").map_err(|e| anyhow::anyhow!("configuration: {e}"))
    }
}
