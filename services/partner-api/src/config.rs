//! Typed configuration (`PARTNER_API__FIELD` environment overrides, see
//! `service_kit::config`; unknown keys are refused). Defaults are for a developer machine.

use serde::Deserialize;
use service_kit::config::{DatabaseConfig, Environment, OtelConfig, ServiceConfig};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub environment: Environment,
    /// HTTP listen address (`127.0.0.1:0` in tests).
    pub listen: String,
    pub database: DatabaseConfig,
    /// Auth's JWKS, used to verify the gateway's internal JWTs.
    pub jwks_url: String,
    /// The `aud` internal JWTs must carry.
    pub audience: String,
    /// Auth's gRPC endpoint, for `ResolveProject` of unknown ingest project ids.
    pub auth_grpc_url: String,
    /// How long a resolved project id is trusted in memory.
    pub project_cache_ttl_seconds: u64,
    /// How long "no such project" is remembered (negative cache).
    pub project_negative_ttl_seconds: u64,
    pub shutdown_timeout_seconds: u64,
    pub ingest: IngestLimits,
    pub query: QueryLimits,
    pub partitions: PartitionConfig,
    pub otel: OtelConfig,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestLimits {
    /// Events + logs per request.
    pub max_items: usize,
    /// Raw body bytes per request.
    pub max_body_bytes: usize,
    /// Serialised `payload` bytes per event.
    pub max_payload_bytes: usize,
    /// A (skew-corrected) timestamp later than receivedAt + this is clamped to receivedAt.
    pub future_tolerance_seconds: i64,
    /// Origins whose browsers may call `/sdk/ingest` (CORS); `*` = any. Only ingest
    /// sends CORS headers; the bearer routes send none.
    pub cors_allowed_origins: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
            environment: Environment::Development,
            listen: "127.0.0.1:8102".into(),
            database: DatabaseConfig::local("platform_partner"),
            jwks_url: "http://127.0.0.1:8181/.well-known/jwks.json".into(),
            audience: "partner-api".into(),
            auth_grpc_url: "http://127.0.0.1:50051".into(),
            project_cache_ttl_seconds: 300,
            project_negative_ttl_seconds: 30,
            shutdown_timeout_seconds: 10,
            ingest: IngestLimits::default(),
            query: QueryLimits::default(),
            partitions: PartitionConfig::default(),
            otel: OtelConfig::default(),
        }
    }
}

impl Default for IngestLimits {
    fn default() -> Self {
        Self {
            max_items: 500,
            max_body_bytes: 1024 * 1024,
            max_payload_bytes: 32 * 1024,
            future_tolerance_seconds: 60,
            cors_allowed_origins: vec!["*".to_owned()],
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

impl ServiceConfig for Config {
    const PREFIX: &'static str = "PARTNER_API";
    const SERVICE: &'static str = "partner-api";

    fn environment(&self) -> Environment {
        self.environment
    }

    fn otel(&self) -> &OtelConfig {
        &self.otel
    }
}
