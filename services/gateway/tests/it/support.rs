//! The platform around a gateway under test: the real auth and ratelimit
//! binaries (fresh database, unique Redis prefix and revocation channel), a real
//! upstream HTTP server, and gateways (in-process or as a process).

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use futures_util::StreamExt;
use gateway::{Application, config::Config};
use serde_json::{Value, json};
use std::time::Duration;
use testkit::{
    operator::Operator,
    process::{ServiceProcess, free_port},
};

pub const OPERATOR_TOKEN: &str = "gateway-test-operator";
/// Tier of keys in the rate-limit tests: 5 requests per hour, no burst.
pub const TIGHT_TIER: &str = "gwtight";
pub const TIGHT_LIMIT: usize = 5;
/// Tier of keys in the coalescing test: 40 per hour, no burst.
pub const MEDIUM_TIER: &str = "gwmedium";
pub const MEDIUM_LIMIT: usize = 40;
/// Tier far from its limit in the lease test: 100,000 per hour.
pub const BIG_TIER: &str = "gwbig";
pub const BIG_LIMIT: usize = 100_000;
/// Tier in shadow mode: 1 per hour, decided but never enforced.
pub const SHADOW_TIER: &str = "gwshadow";

pub struct Platform {
    pub auth: ServiceProcess,
    pub auth_http: u16,
    pub auth_grpc: u16,
    pub ratelimit: Option<ServiceProcess>,
    pub ratelimit_grpc: u16,
    pub upstream: u16,
    pub channel: String,
}

impl Platform {
    pub async fn start() -> Self {
        let upstream = start_upstream();
        let (auth, auth_http, auth_grpc, channel) = start_auth().await;
        let redis_prefix = testkit::unique("gwrl");
        let ratelimit_grpc = free_port();
        let ratelimit = start_ratelimit(ratelimit_grpc, &redis_prefix).await;
        Self {
            auth,
            auth_http,
            auth_grpc,
            ratelimit: Some(ratelimit),
            ratelimit_grpc,
            upstream,
            channel,
        }
    }

    /// The gateway configuration pointing at this platform (ports 0).
    pub fn config(&self) -> Config {
        let mut c = Config {
            listen: "127.0.0.1:0".into(),
            internal_listen: "127.0.0.1:0".into(),
            workers: 2,
            auth_grpc_url: format!("http://127.0.0.1:{}", self.auth_grpc),
            ratelimit_grpc_url: format!("http://127.0.0.1:{}", self.ratelimit_grpc),
            redis: service_kit::config::RedisConfig {
                url: service_kit::config::SecretUrl::new(testkit::redis_url()),
                cluster: false,
            },
            revocation_channel: self.channel.clone(),
            shutdown_timeout_seconds: 5,
            ..Config::default()
        };
        let up = format!("http://127.0.0.1:{}", self.upstream);
        c.upstreams.admin_api = up.clone();
        c.upstreams.partner_api = up.clone();
        c.upstreams.generation_api = up;
        c
    }

    /// The same configuration as `GATEWAY__*` variables, for the gateway binary.
    pub fn env(&self, port: u16, internal: u16) -> Vec<(&'static str, String)> {
        let up = format!("http://127.0.0.1:{}", self.upstream);
        vec![
            ("GATEWAY__LISTEN", format!("127.0.0.1:{port}")),
            ("GATEWAY__INTERNAL_LISTEN", format!("127.0.0.1:{internal}")),
            ("GATEWAY__WORKERS", "2".into()),
            (
                "GATEWAY__AUTH_GRPC_URL",
                format!("http://127.0.0.1:{}", self.auth_grpc),
            ),
            (
                "GATEWAY__RATELIMIT_GRPC_URL",
                format!("http://127.0.0.1:{}", self.ratelimit_grpc),
            ),
            ("GATEWAY__REDIS__URL", testkit::redis_url()),
            ("GATEWAY__REVOCATION_CHANNEL", self.channel.clone()),
            ("GATEWAY__SHUTDOWN_TIMEOUT_SECONDS", "10".into()),
            ("GATEWAY__UPSTREAMS__ADMIN_API", up.clone()),
            ("GATEWAY__UPSTREAMS__PARTNER_API", up.clone()),
            ("GATEWAY__UPSTREAMS__GENERATION_API", up),
            ("RUST_LOG", "warn".into()),
        ]
    }

    /// Creates a tenant of `product` and mints a key with `scopes` and `tier`.
    pub async fn mint(&self, product: &str, scopes: &[&str], tier: &str) -> MintedKey {
        let operator = Operator::new(self.auth_http, OPERATOR_TOKEN);
        let tenant = operator
            .tenant(product, &testkit::unique("gw-tenant-"), Some(tier))
            .await;
        let tenant_id = tenant["id"]
            .as_str()
            .unwrap_or_else(|| panic!("tenant: {tenant}"))
            .to_owned();
        let mut body = json!({ "tenant_id": tenant_id, "name": "gateway test", "scopes": scopes, "tier": tier });
        if product == "generation" {
            body["user_id"] = operator.user(&tenant_id).await["id"].clone();
        }
        let key = operator.key(&body).await;
        MintedKey {
            key: key["key"]
                .as_str()
                .unwrap_or_else(|| panic!("mint: {key}"))
                .to_owned(),
            id: key["id"].as_str().unwrap().to_owned(),
            tenant_id,
        }
    }

    pub async fn revoke(&self, key_id: &str) {
        let res = testkit::http()
            .post(format!(
                "http://127.0.0.1:{}/v1/keys/{key_id}/revoke",
                self.auth_http
            ))
            .bearer_auth(OPERATOR_TOKEN)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success(),
            "revoke: {}",
            res.text().await.unwrap_or_default()
        );
    }

    pub fn jwks_url(&self) -> String {
        format!("http://127.0.0.1:{}/.well-known/jwks.json", self.auth_http)
    }
}

pub struct MintedKey {
    pub key: String,
    pub id: String,
    pub tenant_id: String,
}

async fn start_auth() -> (ServiceProcess, u16, u16, String) {
    let database = db::with_database(&testkit::pg_url(), &testkit::unique("gw_auth_")).unwrap();
    db::create_database_if_missing(&database).await.unwrap();
    let (http, grpc) = (free_port(), free_port());
    let channel = testkit::unique("gw:revocations:");
    let env = [
        ("AUTH__LISTEN", format!("127.0.0.1:{http}")),
        ("AUTH__GRPC_LISTEN", format!("127.0.0.1:{grpc}")),
        ("AUTH__DATABASE__URL", database),
        ("AUTH__DATABASE__POOL_SIZE", "4".into()),
        ("AUTH__REDIS__URL", testkit::redis_url()),
        ("AUTH__OPERATOR_TOKEN", OPERATOR_TOKEN.into()),
        ("AUTH__REVOCATION_CHANNEL", channel.clone()),
        ("AUTH__WORKERS", "1".into()),
        ("RUST_LOG", "warn".into()),
    ];
    let ready = format!("http://127.0.0.1:{http}/readyz");
    let process = ServiceProcess::spawn("auth-service", &["serve"], &env, &ready).await;
    (process, http, grpc, channel)
}

pub async fn start_ratelimit(grpc: u16, prefix: &str) -> ServiceProcess {
    let http = free_port();
    let tier = TIGHT_TIER.to_ascii_uppercase();
    let medium = MEDIUM_TIER.to_ascii_uppercase();
    let shadow = SHADOW_TIER.to_ascii_uppercase();
    let big = BIG_TIER.to_ascii_uppercase();
    let env = [
        (
            "RATELIMIT__GRPC_LISTEN".to_owned(),
            format!("127.0.0.1:{grpc}"),
        ),
        ("RATELIMIT__LISTEN".to_owned(), format!("127.0.0.1:{http}")),
        ("RATELIMIT__REDIS__URL".to_owned(), testkit::redis_url()),
        ("RATELIMIT__PREFIX".to_owned(), prefix.to_owned()),
        (
            format!("RATELIMIT__TIERS__{tier}__LIMIT"),
            TIGHT_LIMIT.to_string(),
        ),
        (format!("RATELIMIT__TIERS__{tier}__BURST"), "0".into()),
        (
            format!("RATELIMIT__TIERS__{tier}__WINDOW_SECONDS"),
            "3600".into(),
        ),
        (
            format!("RATELIMIT__TIERS__{medium}__LIMIT"),
            MEDIUM_LIMIT.to_string(),
        ),
        (format!("RATELIMIT__TIERS__{medium}__BURST"), "0".into()),
        (
            format!("RATELIMIT__TIERS__{medium}__WINDOW_SECONDS"),
            "3600".into(),
        ),
        (format!("RATELIMIT__TIERS__{shadow}__LIMIT"), "1".into()),
        (format!("RATELIMIT__TIERS__{shadow}__BURST"), "0".into()),
        (
            format!("RATELIMIT__TIERS__{shadow}__WINDOW_SECONDS"),
            "3600".into(),
        ),
        (format!("RATELIMIT__TIERS__{shadow}__SHADOW"), "true".into()),
        (
            format!("RATELIMIT__TIERS__{big}__LIMIT"),
            BIG_LIMIT.to_string(),
        ),
        // A burst: ratelimit's Remaining is then capped at the limit, and so must the gateway's.
        (format!("RATELIMIT__TIERS__{big}__BURST"), "1000".into()),
        (
            format!("RATELIMIT__TIERS__{big}__WINDOW_SECONDS"),
            "3600".into(),
        ),
        ("RUST_LOG".to_owned(), "warn".into()),
    ];
    let env: Vec<(&str, String)> = env.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let ready = format!("http://127.0.0.1:{http}/readyz");
    ServiceProcess::spawn("ratelimit-service", &["serve"], &env, &ready).await
}

/// An in-process gateway; stopped when the test ends.
pub struct Gateway {
    pub port: u16,
    pub internal_port: u16,
    /// Bound port and host of each host listener.
    pub host_ports: Vec<(u16, String)>,
}

impl Gateway {
    pub async fn start(config: Config) -> Self {
        let app = Application::build(config).await.unwrap();
        let (port, internal_port) = (app.port(), app.internal_port());
        let host_ports = app.host_ports().to_vec();
        tokio::spawn(app.run_until_stopped());
        let gw = Self {
            port,
            internal_port,
            host_ports,
        };
        // The revocation subscription is established in the background.
        tokio::time::sleep(Duration::from_millis(200)).await;
        gw
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn get(&self, host: &str, path: &str) -> reqwest::RequestBuilder {
        testkit::http().get(self.url(path)).header("host", host)
    }

    pub fn post(&self, host: &str, path: &str) -> reqwest::RequestBuilder {
        testkit::http().post(self.url(path)).header("host", host)
    }

    /// The Prometheus text of the internal port's `/metrics`.
    pub async fn metrics(&self) -> String {
        metrics_at(self.internal_port).await
    }
}

/// The Prometheus text of `/metrics` on the internal `port` of a gateway.
pub async fn metrics_at(port: u16) -> String {
    testkit::kit_checks::metrics_text(&format!("http://127.0.0.1:{port}")).await
}

/// Asserts an error envelope: status, code, dialect and `X-Request-Id` = body id.
pub async fn assert_error(
    res: reqwest::Response,
    status: u16,
    code: &str,
    generation: bool,
) -> (Value, reqwest::header::HeaderMap) {
    assert_eq!(res.status().as_u16(), status);
    let headers = res.headers().clone();
    let header_id = headers
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(header_id.starts_with("req_") || !header_id.is_empty());
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], code, "{body}");
    if generation {
        assert_eq!(body["request_id"], header_id.as_str(), "{body}");
        assert!(body["error"].get("request_id").is_none(), "{body}");
    } else {
        assert_eq!(body["error"]["request_id"], header_id.as_str(), "{body}");
        assert!(body.get("request_id").is_none(), "{body}");
    }
    (body, headers)
}

// ---- the upstream ---------------------------------------------------------------------

/// A real HTTP server standing in for the API services.
///
/// - `/…/slow` sleeps 3 s; `/…/wait?ms=N` sleeps N ms.
/// - `/…/large?mb=N` streams N MiB.
/// - anything else echoes method, path, query, headers and the body length as JSON.
pub fn start_upstream() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(|| App::new().default_service(web::to(upstream)))
        .workers(2)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    tokio::spawn(server);
    port
}

async fn upstream(req: HttpRequest, mut body: web::Payload) -> HttpResponse {
    let path = req.path().to_owned();
    let query: std::collections::HashMap<String, String> =
        serde_urlencoded_parse(req.query_string());
    if path.ends_with("/slow") {
        tokio::time::sleep(Duration::from_secs(3)).await;
        return HttpResponse::Ok().json(json!({ "slow": true }));
    }
    if path.ends_with("/wait") {
        let ms = query.get("ms").and_then(|m| m.parse().ok()).unwrap_or(1000);
        tokio::time::sleep(Duration::from_millis(ms)).await;
        return HttpResponse::Ok().json(json!({ "waited_ms": ms }));
    }
    if path.ends_with("/large") {
        let mb: usize = query.get("mb").and_then(|m| m.parse().ok()).unwrap_or(1);
        let chunk = bytes::Bytes::from(vec![b'x'; 64 * 1024]);
        let chunks = mb * 16;
        let stream = futures_util::stream::iter(
            (0..chunks).map(move |_| Ok::<_, std::io::Error>(chunk.clone())),
        );
        return HttpResponse::Ok()
            .content_type("application/octet-stream")
            .no_chunking((chunks * 64 * 1024) as u64)
            .streaming(stream);
    }
    if path.ends_with("/status") {
        let code = query
            .get("code")
            .and_then(|m| m.parse().ok())
            .unwrap_or(500);
        return HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap())
            .json(json!({ "error": { "code": "upstream_says_no" } }));
    }
    let mut length = 0usize;
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(c) => length += c.len(),
            Err(_) => return HttpResponse::BadRequest().finish(),
        }
    }
    let headers: serde_json::Map<String, Value> = req
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), json!(v.to_str().unwrap_or(""))))
        .collect();
    HttpResponse::Ok().json(json!({
        "method": req.method().as_str(),
        "path": path,
        "query": req.query_string(),
        "headers": headers,
        "body_length": length,
    }))
}

fn serde_urlencoded_parse(q: &str) -> std::collections::HashMap<String, String> {
    q.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}
