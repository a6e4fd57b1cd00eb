//! Starts the real platform — auth, ratelimit, admin-api, partner-api and the
//! gateway, each its own process with its own fresh database — and provisions
//! tenants and keys with `authctl`, exactly as an operator would.

use serde_json::Value;
use std::process::Command;
use testkit::process::{ServiceProcess, binary, free_port};

pub struct Platform {
    pub gateway: String,
    pub gateway_internal: String,
    pub auth_http: String,
    pub admin_db: String,
    pub partner_db: String,
    pub http: testkit::reqwest::Client,
    // Each process is killed when the platform is dropped.
    _processes: Vec<ServiceProcess>,
}

async fn fresh_empty_database(label: &str) -> String {
    let name = format!("t_{label}_{}", testkit::unique(""));
    let url = db::with_database(&testkit::pg_url(), &name).expect("database url");
    db::create_database_if_missing(&url)
        .await
        .expect("create database");
    url
}

/// Starts `bin serve` on `ports` fresh ports, retrying with other ports when one
/// was taken between [`free_port`] and the service binding it.
async fn start(
    bin: &str,
    ports: usize,
    env: impl Fn(&[u16]) -> Vec<(&'static str, String)>,
    ready_url: impl Fn(&[u16]) -> String,
) -> (Vec<u16>, ServiceProcess) {
    let mut last_error = String::new();
    for _ in 0..3 {
        let p: Vec<u16> = (0..ports).map(|_| free_port()).collect();
        match ServiceProcess::try_spawn(bin, &["serve"], &env(&p), &ready_url(&p)).await {
            Ok(process) => return (p, process),
            Err(e) => last_error = e,
        }
    }
    panic!("{bin} did not start in 3 attempts: {last_error}");
}

/// Database connections per service: two platforms may run at once beside the
/// other tests, all under PostgreSQL's default `max_connections` of 100.
const POOL_SIZE: &str = "4";

fn local(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

impl Platform {
    pub async fn start() -> Self {
        let redis = testkit::redis_url();
        let namespace = testkit::unique("bb");
        let channel = format!("auth:revocations:{namespace}");
        let auth_db = fresh_empty_database("bbauth").await;
        let admin_db = fresh_empty_database("bbadmin").await;
        let partner_db = fresh_empty_database("bbpartner").await;

        let (auth, auth_process) = start(
            "auth-service",
            2,
            |p| {
                vec![
                    ("AUTH__LISTEN", local(p[0])),
                    ("AUTH__GRPC_LISTEN", local(p[1])),
                    ("AUTH__DATABASE__URL", auth_db.clone()),
                    ("AUTH__REDIS__URL", redis.clone()),
                    ("AUTH__REVOCATION_CHANNEL", channel.clone()),
                    ("AUTH__DATABASE__POOL_SIZE", POOL_SIZE.into()),
                ]
            },
            |p| format!("http://{}/readyz", local(p[0])),
        )
        .await;
        let (auth_http, auth_grpc) = (auth[0], auth[1]);
        let jwks = format!("http://127.0.0.1:{auth_http}/.well-known/jwks.json");
        let (ratelimit, ratelimit_process) = start(
            "ratelimit-service",
            2,
            |p| {
                vec![
                    ("RATELIMIT__GRPC_LISTEN", local(p[0])),
                    ("RATELIMIT__LISTEN", local(p[1])),
                    ("RATELIMIT__REDIS__URL", redis.clone()),
                    ("RATELIMIT__PREFIX", format!("{namespace}:")),
                ]
            },
            |p| format!("http://{}/readyz", local(p[1])),
        )
        .await;
        let rl_grpc = ratelimit[0];
        let (admin, admin_process) = start(
            "admin-api",
            1,
            |p| {
                vec![
                    ("ADMIN_API__LISTEN", local(p[0])),
                    ("ADMIN_API__DATABASE__URL", admin_db.clone()),
                    ("ADMIN_API__JWKS_URL", jwks.clone()),
                    (
                        "ADMIN_API__RATELIMIT_URL",
                        format!("http://127.0.0.1:{rl_grpc}"),
                    ),
                    ("ADMIN_API__DATABASE__POOL_SIZE", POOL_SIZE.into()),
                ]
            },
            |p| format!("http://{}/readyz", local(p[0])),
        )
        .await;
        let (partner, partner_process) = start(
            "partner-api",
            1,
            |p| {
                vec![
                    ("PARTNER_API__LISTEN", local(p[0])),
                    ("PARTNER_API__DATABASE__URL", partner_db.clone()),
                    ("PARTNER_API__JWKS_URL", jwks.clone()),
                    (
                        "PARTNER_API__AUTH_GRPC_URL",
                        format!("http://127.0.0.1:{auth_grpc}"),
                    ),
                    ("PARTNER_API__DATABASE__POOL_SIZE", POOL_SIZE.into()),
                ]
            },
            |p| format!("http://{}/readyz", local(p[0])),
        )
        .await;
        let (gateway, gateway_process) = start(
            "gateway",
            2,
            |p| {
                vec![
                    ("GATEWAY__LISTEN", local(p[0])),
                    ("GATEWAY__INTERNAL_LISTEN", local(p[1])),
                    (
                        "GATEWAY__AUTH_GRPC_URL",
                        format!("http://127.0.0.1:{auth_grpc}"),
                    ),
                    (
                        "GATEWAY__RATELIMIT_GRPC_URL",
                        format!("http://127.0.0.1:{rl_grpc}"),
                    ),
                    ("GATEWAY__REDIS__URL", redis.clone()),
                    ("GATEWAY__REVOCATION_CHANNEL", channel.clone()),
                    (
                        "GATEWAY__UPSTREAMS__ADMIN_API",
                        format!("http://127.0.0.1:{}", admin[0]),
                    ),
                    (
                        "GATEWAY__UPSTREAMS__PARTNER_API",
                        format!("http://127.0.0.1:{}", partner[0]),
                    ),
                ]
            },
            |p| format!("http://{}/readyz", local(p[1])),
        )
        .await;
        Self {
            gateway: format!("http://{}", local(gateway[0])),
            gateway_internal: format!("http://{}", local(gateway[1])),
            auth_http: format!("http://{}", local(auth_http)),
            admin_db,
            partner_db,
            http: testkit::http(),
            _processes: vec![
                auth_process,
                ratelimit_process,
                admin_process,
                partner_process,
                gateway_process,
            ],
        }
    }

    /// Runs `authctl --json <args>` against this platform's auth service.
    pub fn authctl(&self, args: &[&str]) -> Value {
        let out = Command::new(binary("authctl"))
            .args(["--url", &self.auth_http, "--json"])
            .args(args)
            .output()
            .expect("run authctl");
        assert!(
            out.status.success(),
            "authctl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("authctl --json prints JSON")
    }

    /// A tenant of `product` and a key with `scopes`; returns (tenant, key).
    pub fn tenant_with_key(&self, product: &str, scopes: &str, tier: &str) -> (Value, String) {
        let tenant = self.authctl(&["tenant", "create", "--product", product, "--name", "bb"]);
        let id = tenant["id"].as_str().expect("tenant id").to_owned();
        let mut args = vec![
            "key", "mint", "--tenant", &id, "--name", "bb", "--scopes", scopes,
        ];
        args.extend(["--tier", tier]);
        let key = self.authctl(&args);
        (
            tenant,
            key["key"].as_str().expect("plaintext key").to_owned(),
        )
    }

    /// Runs `<bin> seed …` with the service's database.
    pub fn seed(&self, bin: &str, env: (&str, &str), args: &[&str]) {
        let out = Command::new(binary(bin))
            .arg("seed")
            .args(args)
            .env(env.0, env.1)
            .output()
            .expect("run seed");
        assert!(
            out.status.success(),
            "{bin} seed failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// GET through the gateway with a Host header.
    pub fn get(
        &self,
        host: &str,
        path_and_query: &str,
        key: Option<&str>,
    ) -> testkit::reqwest::RequestBuilder {
        let mut req = self
            .http
            .get(format!("{}{path_and_query}", self.gateway))
            .header("host", host);
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        req
    }

    pub fn request(
        &self,
        method: testkit::reqwest::Method,
        host: &str,
        path_and_query: &str,
        key: Option<&str>,
    ) -> testkit::reqwest::RequestBuilder {
        let mut req = self
            .http
            .request(method, format!("{}{path_and_query}", self.gateway))
            .header("host", host);
        if let Some(key) = key {
            req = req.bearer_auth(key);
        }
        req
    }
}

/// Status, headers and JSON body of a response.
pub async fn json(
    res: testkit::reqwest::Response,
) -> (u16, testkit::reqwest::header::HeaderMap, Value) {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    let body =
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, headers, body)
}
