//! Helpers for integration tests that talk to real PostgreSQL and Redis.
//!
//! - [`pg_url`], [`redis_url`]: the servers (`DATABASE_URL`/`REDIS_URL`, else local defaults).
//! - [`fresh_db`]: a migrated database of one's own per test.
//! - [`unique`]: a unique namespace (Redis key prefixes, tenant names…).
//! - [`TestSigner`]: signs internal JWTs for any principal, and provides the
//!   matching [`JwtVerifier`](auth_core::jwt::JwtVerifier) for a service under test.
//! - [`http`]: a plain HTTP client.
//! - [`operator::Operator`]: tenants, users and keys through auth's operator API.
//! - [`schema_drift`]: `schema.rs` against the migrated database (every service).
//! - [`kit_checks`]: what every service's tests assert about the service kit
//!   (metrics, health, refused start-ups).

pub mod kit_checks;
pub mod operator;
pub mod process;
pub mod schema_drift;

use auth_core::{
    Principal, Product,
    jwt::{InternalClaims, Jwks, JwtVerifier, SigningKey, now},
};
use std::time::Duration;

#[doc(hidden)]
pub use diesel as __diesel;
pub use reqwest;

/// PostgreSQL server URL for tests (any database name; fresh databases are created beside it).
pub fn pg_url() -> String {
    std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A migrated database for this test alone; returns its URL.
pub async fn fresh_db(label: &str, migrations: diesel_migrations::EmbeddedMigrations) -> String {
    db::fresh_database(&pg_url(), label, migrations)
        .await
        .unwrap_or_else(|e| {
            panic!(
                "fresh database for {label}: {e} (is PostgreSQL running at {}?)",
                pg_url()
            )
        })
}

/// A short unique string, e.g. for Redis key prefixes.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// An HTTP client for calling services under test.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap_or_default()
}

/// Signs internal JWTs the way auth does, with a key of its own.
pub struct TestSigner {
    key: SigningKey,
}

impl Default for TestSigner {
    fn default() -> Self {
        Self::new()
    }
}

impl TestSigner {
    pub fn new() -> Self {
        Self {
            key: SigningKey::generate("test-key").unwrap_or_else(|e| panic!("{e}")),
        }
    }

    pub fn jwks(&self) -> Jwks {
        Jwks {
            keys: vec![self.key.jwk()],
        }
    }

    /// The verifier a service under test should register for `audience`.
    pub fn verifier(&self, audience: &str) -> JwtVerifier {
        JwtVerifier::from_jwks(&self.jwks(), audience)
    }

    /// A principal of a fresh tenant with `scopes`.
    pub fn principal(&self, product: Product, scopes: &[&str]) -> Principal {
        Principal {
            tenant_id: uuid::Uuid::now_v7(),
            product,
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
            tier: "starter".into(),
            key_id: unique("key_"),
            user_id: (product == Product::Generation).then(|| unique("usr_")),
            public_id: (product == Product::Partner).then(|| unique("proj_")),
            env: "test".into(),
        }
    }

    /// `Bearer <jwt>` for `principal`, valid five minutes for `audience`.
    pub fn bearer(&self, principal: &Principal, audience: &str) -> String {
        let claims = InternalClaims::new(principal, audience, now(), Duration::from_secs(300));
        format!(
            "Bearer {}",
            self.key.sign(&claims).unwrap_or_else(|e| panic!("{e}"))
        )
    }
}
