//! Gateway configuration (loaded by the service kit from `GATEWAY__*`; unknown keys are refused).
//!
//! Defaults are the local platform: public listener `127.0.0.1:8080`, internal
//! listener (healthz/readyz/metrics) `127.0.0.1:9080`, auth and ratelimit on
//! their conventional gRPC ports, and the route table of the three public APIs
//! ([`default_routes`]). Upstream base URLs are named in `upstreams` so they
//! can be moved by environment alone (`GATEWAY__UPSTREAMS__ADMIN_API=http://admin-api:8101`);
//! the whole `routes` table is replaced by a config file (`CONFIG_FILE`).

use error_envelope::Dialect;
use serde::{Deserialize, Serialize};
use service_kit::config::{Environment, OtelConfig, RedisConfig, ServiceConfig};
use std::{net::IpAddr, time::Duration};

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub environment: Environment,
    /// The public listener.
    pub listen: String,
    /// healthz, readyz and metrics.
    pub internal_listen: String,
    /// Actix workers of the public listener; 0 = one per core.
    pub workers: usize,
    pub auth_grpc_url: String,
    pub ratelimit_grpc_url: String,
    /// Redis carrying auth's revocation events (`redis.url`).
    pub redis: RedisConfig,
    /// Pub/sub channel of revocations (message = key id).
    pub revocation_channel: String,
    /// Deadline of one Authenticate call.
    pub auth_timeout_ms: u64,
    /// Deadline of one ShouldRateLimit call.
    pub ratelimit_timeout_ms: u64,
    /// TCP/HTTP2 connect deadline towards auth and ratelimit.
    pub grpc_connect_timeout_ms: u64,
    /// What happens when ratelimit cannot decide (unreachable, UNAVAILABLE, deadline).
    pub ratelimit_fail_policy: FailPolicy,
    /// Decide concurrent requests of one descriptor with one `hits = n` call
    /// (see `ratelimit::Limiter`); exact either way.
    pub ratelimit_coalesce: bool,
    /// Most tokens one worker leases for a busy key far from its limit (see
    /// `ratelimit::Limiter`); 0 decides every request (or batch) in ratelimit.
    pub ratelimit_lease_max: u32,
    /// How long in-flight requests may still run after SIGTERM.
    pub shutdown_timeout_seconds: u64,
    /// Request target plus headers, in bytes → 431 beyond (actix itself stops at 128 KiB / 96 headers).
    pub max_header_bytes: usize,
    /// Time a client has to send its request head (slowloris guard) → 408.
    pub client_request_timeout_ms: u64,
    /// Time to finish a connection shutdown.
    pub client_disconnect_timeout_ms: u64,
    /// Idle keep-alive of client connections.
    pub keep_alive_seconds: u64,
    /// New TLS/plain connections accepted concurrently per worker.
    pub max_connection_rate: usize,
    /// Open client connections per worker.
    pub max_connections: usize,
    /// Idle keep-alive connections kept per upstream and worker (more are opened
    /// under load; the surplus is closed when its response ends).
    pub upstream_pool_size: usize,
    pub upstream_connect_timeout_ms: u64,
    /// Idle time after which a pooled upstream connection is closed (below the
    /// upstreams' own keep-alive, 5 s for actix, so the gateway closes first).
    pub upstream_keep_alive_seconds: u64,
    /// Peers whose `X-Forwarded-For`/`X-Forwarded-Proto` are believed (a load balancer in front).
    pub trusted_proxies: Vec<IpAddr>,
    /// Upper bound of cached principals (per (token, audience)).
    pub auth_cache_max_entries: usize,
    /// A cached internal JWT is renewed this long before it expires.
    pub jwt_refresh_margin_seconds: u64,
    /// One info log line per proxied request.
    pub access_log: bool,
    /// Upstream base URLs by name (routes refer to them).
    pub upstreams: Upstreams,
    pub routes: Vec<RouteConfig>,
    pub otel: OtelConfig,
}

/// Fail policy of rate limiting when ratelimit is unreachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FailPolicy {
    /// Let the request pass without rate-limit headers (counted in
    /// `gateway_ratelimit_failures_total{outcome="allowed"}`).
    #[default]
    Open,
    /// Answer 503 `service_unavailable`.
    Closed,
}

/// Base URLs of the API services (env: `GATEWAY__UPSTREAMS__ADMIN_API`, …).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Upstreams {
    pub admin_api: String,
    pub partner_api: String,
    pub generation_api: String,
}

impl Default for Upstreams {
    fn default() -> Self {
        Self {
            admin_api: "http://127.0.0.1:8101".into(),
            partner_api: "http://127.0.0.1:8102".into(),
            generation_api: "http://127.0.0.1:8103".into(),
        }
    }
}

impl Upstreams {
    /// Resolves a route's `upstream`: a name from this table or a literal base URL.
    pub fn resolve<'a>(&'a self, upstream: &'a str) -> Option<&'a str> {
        match upstream {
            "admin_api" | "admin-api" => Some(&self.admin_api),
            "partner_api" | "partner-api" => Some(&self.partner_api),
            "generation_api" | "generation-api" => Some(&self.generation_api),
            url if url.starts_with("http://") || url.starts_with("https://") => Some(url),
            _ => None,
        }
    }
}

/// How a route authenticates callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// `Authorization: Bearer <API key>` required; rate limited per key.
    Bearer,
    /// No credentials; rate limited per client IP with tier `anonymous`.
    None,
}

/// One entry of the route table.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Label in metrics and logs.
    pub name: String,
    /// Host names (without port, lowercase).
    pub hosts: Vec<String>,
    /// Paths: one ending in `/` matches that subtree, any other only itself.
    /// The longest match over all routes of the host wins.
    pub paths: Vec<String>,
    /// A name from `upstreams` or a base URL.
    pub upstream: String,
    /// Upstream service name: the internal JWT's `aud`.
    pub audience: String,
    /// `admin`, `partner` or `generation`: keys of other products are refused.
    pub product: String,
    pub dialect: Dialect,
    pub auth: AuthMode,
    /// Rate-limit route class of GET/HEAD/OPTIONS.
    #[serde(default = "read_class")]
    pub read_class: String,
    /// Rate-limit route class of other methods.
    #[serde(default = "write_class")]
    pub write_class: String,
    #[serde(default = "default_body_limit")]
    pub body_limit_bytes: u64,
    /// Time to the upstream's response head → 504 beyond.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn read_class() -> String {
    "read".into()
}
fn write_class() -> String {
    "write".into()
}
fn default_body_limit() -> u64 {
    1024 * 1024
}
fn default_timeout_ms() -> u64 {
    30_000
}

impl Default for Config {
    fn default() -> Self {
        Self {
            environment: Environment::Development,
            listen: "127.0.0.1:8080".into(),
            internal_listen: "127.0.0.1:9080".into(),
            workers: 0,
            auth_grpc_url: "http://127.0.0.1:50051".into(),
            ratelimit_grpc_url: "http://127.0.0.1:50052".into(),
            redis: RedisConfig::default(),
            revocation_channel: "auth:revocations".into(),
            auth_timeout_ms: 1_000,
            ratelimit_timeout_ms: 250,
            grpc_connect_timeout_ms: 500,
            ratelimit_fail_policy: FailPolicy::Open,
            ratelimit_coalesce: true,
            ratelimit_lease_max: 512,
            shutdown_timeout_seconds: 30,
            max_header_bytes: 32 * 1024,
            client_request_timeout_ms: 5_000,
            client_disconnect_timeout_ms: 1_000,
            keep_alive_seconds: 10,
            max_connection_rate: 256,
            max_connections: 25_000,
            upstream_pool_size: 512,
            upstream_connect_timeout_ms: 1_000,
            upstream_keep_alive_seconds: 4,
            trusted_proxies: Vec::new(),
            auth_cache_max_entries: 100_000,
            jwt_refresh_margin_seconds: 15,
            access_log: true,
            upstreams: Upstreams::default(),
            routes: default_routes(),
            otel: OtelConfig::default(),
        }
    }
}

impl ServiceConfig for Config {
    const PREFIX: &'static str = "GATEWAY";
    const SERVICE: &'static str = "gateway";

    fn environment(&self) -> Environment {
        self.environment
    }

    fn otel(&self) -> &OtelConfig {
        &self.otel
    }
}

impl Config {
    pub fn auth_timeout(&self) -> Duration {
        Duration::from_millis(self.auth_timeout_ms)
    }
    pub fn ratelimit_timeout(&self) -> Duration {
        Duration::from_millis(self.ratelimit_timeout_ms)
    }
    pub fn grpc_connect_timeout(&self) -> Duration {
        Duration::from_millis(self.grpc_connect_timeout_ms)
    }
}

#[allow(clippy::too_many_arguments)]
fn route(
    name: &str,
    hosts: &[&str],
    paths: &[&str],
    upstream: &str,
    product: &str,
    dialect: Dialect,
    auth: AuthMode,
    classes: (&str, &str),
    body_limit_bytes: u64,
) -> RouteConfig {
    RouteConfig {
        name: name.into(),
        hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        upstream: upstream.into(),
        audience: upstream.into(),
        product: product.into(),
        dialect,
        auth,
        read_class: classes.0.into(),
        write_class: classes.1.into(),
        body_limit_bytes,
        timeout_ms: default_timeout_ms(),
    }
}

const MIB: u64 = 1024 * 1024;

/// The routes of the three public APIs on their production and local hosts.
pub fn default_routes() -> Vec<RouteConfig> {
    let admin = ["api.sumeru.systems", "admin.localhost"];
    let partner = ["api.sumidata.io", "partner.localhost"];
    let generation = ["www.sume.so", "gen.localhost"];
    vec![
        route(
            "admin-api",
            &admin,
            &["/api/v1/"],
            "admin-api",
            "admin",
            Dialect::Admin,
            AuthMode::Bearer,
            ("read", "write"),
            MIB,
        ),
        route(
            "partner-api",
            &partner,
            &["/api/partner/"],
            "partner-api",
            "partner",
            Dialect::Admin,
            AuthMode::Bearer,
            ("read", "write"),
            MIB,
        ),
        route(
            "partner-ingest",
            &partner,
            &["/sdk/ingest"],
            "partner-api",
            "partner",
            Dialect::Admin,
            AuthMode::None,
            ("ingest", "ingest"),
            MIB,
        ),
        route(
            "generation-api",
            &generation,
            &["/api/v1/"],
            "generation-api",
            "generation",
            Dialect::Generation,
            AuthMode::Bearer,
            ("read", "write"),
            2 * MIB,
        ),
        route(
            "generation-create",
            &generation,
            &[
                "/api/v1/images/generations",
                "/api/v1/videos/generations",
                "/api/v1/ads/videos",
                "/api/v1/face-swap",
                "/api/v1/reference-analysis",
            ],
            "generation-api",
            "generation",
            Dialect::Generation,
            AuthMode::Bearer,
            ("read", "generate"),
            2 * MIB,
        ),
        route(
            "generation-openapi",
            &generation,
            &["/api/v1/openapi.json"],
            "generation-api",
            "generation",
            Dialect::Generation,
            AuthMode::None,
            ("read", "write"),
            64 * 1024,
        ),
    ]
}
