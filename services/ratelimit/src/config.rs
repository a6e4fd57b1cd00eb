//! Configuration of the rate-limit service, loaded by the service kit
//! (`service_kit::config`): defaults below, then the TOML file in
//! `CONFIG_FILE`, then `RATELIMIT__FIELD` environment variables; unknown keys
//! are refused.
//!
//! `tiers` and `route_classes` are *overlays* on the built-in tables of
//! [`crate::policy`]: an entry changes only the fields it names, so
//! `RATELIMIT__TIERS__FREE__LIMIT=100` keeps free's window and burst and every
//! other tier. A new name adds a tier or class.

use serde::Deserialize;
use service_kit::config::{Environment, GrpcServerConfig, OtelConfig, RedisConfig, ServiceConfig};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub environment: Environment,
    /// gRPC listener (`ShouldRateLimit`, `GetUsage`).
    pub grpc_listen: String,
    /// `grpc.max_connection_age_seconds` (300; GOAWAY, then clients reconnect and
    /// rebalance onto new pods) and `grpc.max_connection_age_grace_seconds` (unset;
    /// see `service_kit::config::GrpcServerConfig`).
    pub grpc: GrpcServerConfig,
    /// HTTP listener (`/healthz`, `/readyz`, `/metrics`).
    pub listen: String,
    /// `redis.url` (may carry a password: redacted in logs) and `redis.cluster`
    /// (then `url` is a comma-separated list of seed nodes).
    pub redis: RedisConfig,
    /// Key namespace: every key starts with `<prefix>:` (tests use a unique one).
    pub prefix: String,
    /// Upper bound of one decision's wait for Redis, in milliseconds.
    pub timeout_ms: u64,
    /// What to answer when Redis is down or slower than `timeout_ms`.
    pub failure_policy: FailurePolicy,
    /// This many Redis failures or timeouts in a row open the breaker.
    pub breaker_failures: u32,
    /// While the breaker is open, decisions skip Redis for this long (ms) before trying again.
    pub breaker_open_ms: u64,
    /// Degraded-mode warnings are logged at most once per this many seconds.
    pub degraded_log_interval_seconds: u64,
    /// Bound on the in-process fallback limiter's entries (subject × class).
    pub fallback_max_entries: usize,
    /// Tier name used for unknown tiers.
    pub default_tier: String,
    /// Overlays on the built-in tier table (see `crate::policy`).
    pub tiers: BTreeMap<String, TierOverlay>,
    /// Overlays on the built-in route classes (see `crate::policy`).
    pub route_classes: BTreeMap<String, RouteClassOverlay>,
    /// TTL of the daily usage counters, in days.
    pub usage_day_ttl_days: u64,
    /// TTL of the monthly usage counters, in days.
    pub usage_month_ttl_days: u64,
    /// When true, `/readyz` answers 200 even with Redis down (useful with `fail_open`
    /// so Kubernetes keeps routing to the degraded limiter). Default false.
    pub ready_without_redis: bool,
    /// Seconds to wait for in-flight calls on shutdown.
    pub shutdown_timeout_seconds: u64,
    pub otel: OtelConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            environment: Environment::Development,
            grpc_listen: "127.0.0.1:50052".into(),
            grpc: GrpcServerConfig::default(),
            listen: "127.0.0.1:8182".into(),
            redis: RedisConfig::default(),
            prefix: "rl".into(),
            timeout_ms: 50,
            failure_policy: FailurePolicy::FailOpen,
            breaker_failures: 3,
            breaker_open_ms: 500,
            degraded_log_interval_seconds: 10,
            fallback_max_entries: 100_000,
            default_tier: "free".into(),
            tiers: BTreeMap::new(),
            route_classes: BTreeMap::new(),
            usage_day_ttl_days: 62,
            usage_month_ttl_days: 400,
            ready_without_redis: false,
            shutdown_timeout_seconds: 10,
            otel: OtelConfig::default(),
        }
    }
}

impl ServiceConfig for Config {
    const PREFIX: &'static str = "RATELIMIT";
    const SERVICE: &'static str = "ratelimit";

    fn environment(&self) -> Environment {
        self.environment
    }

    fn otel(&self) -> &OtelConfig {
        &self.otel
    }
}

/// Behaviour when Redis cannot decide within `timeout_ms`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailurePolicy {
    /// Decide with the in-process GCRA (per replica, approximate), `degraded = true`.
    FailOpen,
    /// Answer gRPC `UNAVAILABLE`; the gateway answers 503.
    FailClosed,
}

impl FailurePolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::FailOpen => "fail_open",
            Self::FailClosed => "fail_closed",
        }
    }
}

/// Fields of a tier; absent fields keep the built-in value (for a new tier: the default tier's).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TierOverlay {
    /// Requests per window (sustained rate = limit / window).
    pub limit: Option<u32>,
    pub window_seconds: Option<u32>,
    /// Extra requests a rested client may send at once on top of `limit`.
    pub burst: Option<u32>,
    /// Decide and report, never refuse.
    pub shadow: Option<bool>,
}

/// Fields of a route class.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RouteClassOverlay {
    /// Multiplies each tier's limit and burst (e.g. 0.1 for `generate`).
    pub factor: Option<f64>,
    /// Explicit limits for some tiers in this class, replacing the scaled tier values.
    pub tiers: BTreeMap<String, LimitOverlay>,
}

/// An explicit limit of one tier in one route class.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitOverlay {
    pub limit: Option<u32>,
    pub window_seconds: Option<u32>,
    pub burst: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::PolicyTable;

    #[test]
    #[expect(
        clippy::result_large_err,
        reason = "figment::Jail's closure returns figment::Error"
    )]
    fn environment_overlays_reach_the_policy_table() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("RATELIMIT__FAILURE_POLICY", "fail_closed");
            jail.set_env("RATELIMIT__TIMEOUT_MS", "20");
            jail.set_env("RATELIMIT__TIERS__FREE__LIMIT", "100");
            jail.set_env("RATELIMIT__TIERS__TRIAL__SHADOW", "true");
            jail.set_env(
                "RATELIMIT__ROUTE_CLASSES__GENERATE__TIERS__ENTERPRISE__LIMIT",
                "3000",
            );
            let c: Config = service_kit::load_checked().map_err(|e| e.to_string())?;
            assert_eq!(
                (c.failure_policy, c.timeout_ms, c.prefix.as_str()),
                (FailurePolicy::FailClosed, 20, "rl")
            );
            let t = PolicyTable::from_config(&c).map_err(|e| e.to_string())?;
            let free = t.resolve("free", "read");
            assert_eq!((free.limit, free.burst), (100, 10));
            let trial = t.resolve("trial", "read");
            assert!(trial.shadow);
            assert_eq!(
                trial.limit, 100,
                "a new tier starts from the default tier's values"
            );
            assert_eq!(t.resolve("enterprise", "generate").limit, 3000);
            assert_eq!(t.resolve("starter", "read").limit, 600);
            Ok(())
        });
    }
}
