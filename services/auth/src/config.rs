//! Typed configuration of the auth service (`AUTH__FIELD` environment variables
//! override the local-development defaults; see the README for every field).

use serde::Deserialize;
use service_kit::config::{
    DatabaseConfig, Environment, GrpcServerConfig, OtelConfig, RedisConfig, Secret, ServiceConfig,
};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `production` refuses the compiled-in development secrets.
    pub environment: Environment,
    /// Operator API, JWKS, health, metrics (`127.0.0.1:8181`; port 0 in tests).
    pub listen: String,
    /// gRPC `Authenticate` / `ResolveProject` (`127.0.0.1:50051`).
    pub grpc_listen: String,
    /// `grpc.max_connection_age_seconds` (300; GOAWAY, then clients reconnect and
    /// rebalance onto new pods) and `grpc.max_connection_age_grace_seconds` (unset;
    /// see `service_kit::config::GrpcServerConfig`).
    pub grpc: GrpcServerConfig,
    pub database: DatabaseConfig,
    /// Revocation events are published here.
    pub redis: RedisConfig,
    /// Bearer token of the operator API.
    pub operator_token: Secret,
    /// Lifetime of minted internal JWTs.
    pub jwt_ttl_seconds: u64,
    /// Upper bound of `cache_ttl_seconds` returned to the gateway.
    pub gateway_cache_ttl_seconds: u32,
    /// Lifetime of the in-process key-lookup cache; 0 disables it.
    pub key_cache_ttl_ms: u64,
    /// Entries of the in-process key-lookup cache.
    pub key_cache_capacity: usize,
    /// Redis pub/sub channel of revocation events.
    pub revocation_channel: String,
    /// How often buffered `last_used_at` stamps are written (at most one write per key per period).
    pub last_used_flush_seconds: u64,
    /// How long a retired signing key stays in the JWKS after a rotation.
    pub signing_key_rollover_seconds: u64,
    /// How often a replica reloads the signing keys (to pick up rotations made elsewhere).
    pub signing_key_refresh_seconds: u64,
    /// Base64 of 32 bytes: seals the signing keys' PKCS#8 at rest with AES-256-GCM.
    /// Empty: stored unsealed (local development only; a warning is logged).
    pub signing_key_encryption_key: Secret,
    /// HMAC secret of list cursors.
    pub cursor_secret: Secret,
    /// JSON body limit of the operator API.
    pub json_limit_bytes: usize,
    /// HTTP worker threads (0: one per core).
    pub workers: usize,
    pub shutdown_timeout_seconds: u64,
    pub otel: OtelConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            environment: Environment::Development,
            listen: "127.0.0.1:8181".into(),
            grpc_listen: "127.0.0.1:50051".into(),
            grpc: GrpcServerConfig::default(),
            database: DatabaseConfig::local("platform_auth"),
            redis: RedisConfig::default(),
            operator_token: Secret::new("dev-operator-token"),
            jwt_ttl_seconds: 300,
            gateway_cache_ttl_seconds: 30,
            key_cache_ttl_ms: 10_000,
            key_cache_capacity: 100_000,
            revocation_channel: "auth:revocations".into(),
            last_used_flush_seconds: 60,
            signing_key_rollover_seconds: 3600,
            signing_key_refresh_seconds: 30,
            signing_key_encryption_key: Secret::default(),
            cursor_secret: Secret::new("dev-auth-cursor-secret"),
            json_limit_bytes: 16 * 1024,
            workers: 0,
            shutdown_timeout_seconds: 10,
            otel: OtelConfig::default(),
        }
    }
}

impl ServiceConfig for Config {
    const PREFIX: &'static str = "AUTH";
    const SERVICE: &'static str = "auth";

    fn environment(&self) -> Environment {
        self.environment
    }

    fn otel(&self) -> &OtelConfig {
        &self.otel
    }

    /// An empty `signing_key_encryption_key` (keys stored unsealed) is refused in production too.
    fn secrets(&self) -> Vec<(&'static str, &Secret)> {
        vec![
            ("operator_token", &self.operator_token),
            (
                "signing_key_encryption_key",
                &self.signing_key_encryption_key,
            ),
            ("cursor_secret", &self.cursor_secret),
        ]
    }
}
