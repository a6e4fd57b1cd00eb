//! Configuration (`ADMIN_API__FIELD` environment variables override the
//! local-development defaults below; unknown keys are refused, see `service_kit::config`).

use serde::Deserialize;
use service_kit::config::{DatabaseConfig, Environment, OtelConfig, Secret, ServiceConfig};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `production` refuses the compiled-in `cursor_secret`.
    pub environment: Environment,
    /// HTTP listen address (`127.0.0.1:0` picks a free port).
    pub listen: String,
    pub database: DatabaseConfig,
    /// JWKS of the auth service, for internal JWTs with audience [`Self::audience`].
    pub jwks_url: String,
    pub audience: String,
    /// HMAC secret of list cursors (rotating it invalidates outstanding cursors).
    pub cursor_secret: Secret,
    /// gRPC endpoint of the ratelimit service (usage counters).
    pub ratelimit_url: String,
    pub ratelimit_timeout_ms: u64,
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Interval of the background purge of expired idempotency keys (0 = off).
    pub idempotency_purge_interval_seconds: u64,
    pub shutdown_timeout_seconds: u64,
    /// Actix workers (0 = one per core).
    pub workers: usize,
    pub otel: OtelConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            environment: Environment::Development,
            listen: "127.0.0.1:8101".into(),
            database: DatabaseConfig::local("platform_admin"),
            jwks_url: "http://127.0.0.1:8181/.well-known/jwks.json".into(),
            audience: "admin-api".into(),
            cursor_secret: Secret::new("dev-only-admin-cursor-secret"),
            ratelimit_url: "http://127.0.0.1:50052".into(),
            ratelimit_timeout_ms: 2000,
            body_limit_bytes: 256 * 1024,
            idempotency_purge_interval_seconds: 600,
            shutdown_timeout_seconds: 30,
            workers: 0,
            otel: OtelConfig::default(),
        }
    }
}

impl ServiceConfig for Config {
    const PREFIX: &'static str = "ADMIN_API";
    const SERVICE: &'static str = "admin-api";

    fn environment(&self) -> Environment {
        self.environment
    }

    fn otel(&self) -> &OtelConfig {
        &self.otel
    }

    fn secrets(&self) -> Vec<(&'static str, &Secret)> {
        vec![("cursor_secret", &self.cursor_secret)]
    }
}
