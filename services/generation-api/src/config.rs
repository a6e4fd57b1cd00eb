//! Configuration (`GENERATION_API__FIELD` environment variables override the
//! local-development defaults below; unknown keys are refused, see
//! `service_kit::config`). The worker shares `storage.*` (`GENERATION_WORKER__STORAGE__…`).

use serde::Deserialize;
use service_kit::config::{DatabaseConfig, Environment, OtelConfig, Secret, ServiceConfig};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `development` also allows `http` webhook URLs; `production` refuses the compiled-in secrets.
    pub environment: Environment,
    /// HTTP listen address (`127.0.0.1:0` picks a free port).
    pub listen: String,
    pub database: DatabaseConfig,
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
    /// Provider per job type for live jobs (`image = "replicate"`…); unlisted
    /// types and every test-mode job use `local`.
    pub providers: std::collections::BTreeMap<String, String>,
    /// A job not finished this long after creation fails with `deadline_exceeded`.
    pub job_deadline_seconds: i64,
    /// Attempts (claims) before a job whose worker keeps dying fails.
    pub job_max_attempts: i32,
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
            listen: "127.0.0.1:8103".into(),
            database: DatabaseConfig::local("platform_generation"),
            jwks_url: "http://127.0.0.1:8181/.well-known/jwks.json".into(),
            audience: "generation-api".into(),
            auth_url: "http://127.0.0.1:8181".into(),
            auth_operator_token: Secret::new("dev-operator-token"),
            cursor_secret: Secret::new("dev-only-generation-cursor-secret"),
            storage: crate::storage::StorageConfig::default(),
            public_base_url: String::new(),
            providers: Default::default(),
            job_deadline_seconds: 1800,
            job_max_attempts: 3,
            body_limit_bytes: 256 * 1024,
            idempotency_purge_interval_seconds: 600,
            shutdown_timeout_seconds: 30,
            workers: 0,
            otel: OtelConfig::default(),
        }
    }
}

impl ServiceConfig for Config {
    const PREFIX: &'static str = "GENERATION_API";
    const SERVICE: &'static str = "generation-api";

    fn environment(&self) -> Environment {
        self.environment
    }

    fn otel(&self) -> &OtelConfig {
        &self.otel
    }

    fn secrets(&self) -> Vec<(&'static str, &Secret)> {
        vec![
            ("cursor_secret", &self.cursor_secret),
            ("auth_operator_token", &self.auth_operator_token),
            ("storage.signing_secret", &self.storage.signing_secret),
        ]
    }
}
