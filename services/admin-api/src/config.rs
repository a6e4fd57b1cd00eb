//! Configuration (`ADMIN_API__FIELD` environment variables override the
//! local-development defaults below).

use serde::Deserialize;
use service_config::Secret;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    /// HTTP listen address (`127.0.0.1:0` picks a free port).
    pub listen: String,
    pub database_url: String,
    pub pool_size: usize,
    /// PostgreSQL `statement_timeout` of every pooled connection (a list query
    /// beyond it answers 503 `query_timeout`); 0 = none.
    pub statement_timeout_ms: u64,
    /// Run migrations (and create the database) at start-up.
    pub run_migrations: bool,
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
    pub idempotency_purge_interval_secs: u64,
    pub shutdown_timeout_secs: u64,
    /// Actix workers (0 = one per core).
    pub workers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8101".into(),
            database_url: "postgres://postgres@127.0.0.1:5432/platform_admin".into(),
            pool_size: 16,
            statement_timeout_ms: 5_000,
            run_migrations: true,
            jwks_url: "http://127.0.0.1:8181/.well-known/jwks.json".into(),
            audience: "admin-api".into(),
            cursor_secret: Secret::new("dev-only-admin-cursor-secret"),
            ratelimit_url: "http://127.0.0.1:50052".into(),
            ratelimit_timeout_ms: 2000,
            body_limit_bytes: 256 * 1024,
            idempotency_purge_interval_secs: 600,
            shutdown_timeout_secs: 30,
            workers: 0,
        }
    }
}
