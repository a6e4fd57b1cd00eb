//! Configuration (`GENERATION_API__FIELD` environment variables override the
//! local-development defaults below; the worker reads the same storage and
//! database fields under `GENERATION_WORKER__`).

use serde::Deserialize;
use service_config::Secret;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    /// HTTP listen address (`127.0.0.1:0` picks a free port).
    pub listen: String,
    pub database_url: String,
    pub pool_size: usize,
    /// Run migrations (and create the database) at start-up.
    pub run_migrations: bool,
    /// JWKS of the auth service, for internal JWTs with audience [`Self::audience`].
    pub jwks_url: String,
    pub audience: String,
    /// auth's operator API (for `/me`: user email, key and workspace metadata).
    pub auth_url: String,
    pub auth_operator_token: Secret,
    /// HMAC secret of list cursors.
    pub cursor_secret: Secret,
    /// Object storage and signed result URLs.
    pub storage: crate::storage::StorageConfig,
    /// Base URL clients reach this API at (signed result URLs start with it);
    /// empty = the scheme and `Host` of each request (the gateway keeps the client's Host).
    pub public_base_url: String,
    /// `development` allows `http` webhook URLs; anything else requires `https`.
    pub environment: String,
    /// Provider per job type for live jobs (`image = "replicate"`…); unlisted
    /// types and every test-mode job use `local`.
    pub providers: std::collections::BTreeMap<String, String>,
    /// A job not finished this long after creation fails with `deadline_exceeded`.
    pub job_deadline_secs: i64,
    /// Attempts (claims) before a job whose worker keeps dying fails.
    pub job_max_attempts: i32,
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
            listen: "127.0.0.1:8103".into(),
            database_url: "postgres://postgres@127.0.0.1:5432/platform_generation".into(),
            pool_size: 16,
            run_migrations: true,
            jwks_url: "http://127.0.0.1:8181/.well-known/jwks.json".into(),
            audience: "generation-api".into(),
            auth_url: "http://127.0.0.1:8181".into(),
            auth_operator_token: Secret::new("dev-operator-token"),
            cursor_secret: Secret::new("dev-only-generation-cursor-secret"),
            storage: crate::storage::StorageConfig::default(),
            public_base_url: String::new(),
            environment: "development".into(),
            providers: Default::default(),
            job_deadline_secs: 1800,
            job_max_attempts: 3,
            body_limit_bytes: 256 * 1024,
            idempotency_purge_interval_secs: 600,
            shutdown_timeout_secs: 30,
            workers: 0,
        }
    }
}
