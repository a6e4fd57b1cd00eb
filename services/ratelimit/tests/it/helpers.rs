use ratelimit_service::{
    Application,
    config::{Config, FailurePolicy, TierOverlay},
};
use rpc::ratelimit::{
    Descriptor, RateLimitRequest, RateLimitResponse, UsageRequest, UsageResponse,
    rate_limit_client::RateLimitClient,
};
use service_kit::config::{RedisConfig, SecretUrl};
use std::{collections::BTreeMap, sync::Arc};
use tonic::transport::Channel;

pub type Client = RateLimitClient<Channel>;

pub struct TestApp {
    pub grpc_port: u16,
    pub http_port: u16,
    pub metrics: Arc<ratelimit_service::metrics::Metrics>,
    pub client: Client,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestApp {
    /// Triggers the graceful shutdown and waits for both listeners to stop.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.server.await?
    }
}

/// A config on random ports with a unique prefix and the given extra tiers `(name, limit, window, burst, shadow)`.
pub fn config(tiers: &[(&str, u32, u32, u32, bool)]) -> Config {
    Config {
        grpc_listen: "127.0.0.1:0".into(),
        listen: "127.0.0.1:0".into(),
        redis: RedisConfig {
            url: SecretUrl::new(testkit::redis_url()),
            cluster: false,
        },
        prefix: testkit::unique("rltest"),
        failure_policy: FailurePolicy::FailOpen,
        // Generous: these tests are about decisions, not timing, and share 2 cores with
        // other builds. The outage tests set their own timeout.
        timeout_ms: 2_000,
        // Short TTLs so test runs do not leave counters behind in the shared Redis.
        usage_day_ttl_days: 1,
        usage_month_ttl_days: 2,
        tiers: tiers
            .iter()
            .map(|&(n, limit, window, burst, shadow)| {
                (
                    n.to_owned(),
                    TierOverlay {
                        limit: Some(limit),
                        window_seconds: Some(window),
                        burst: Some(burst),
                        shadow: Some(shadow),
                    },
                )
            })
            .collect::<BTreeMap<_, _>>(),
        ..Config::default()
    }
}

pub async fn spawn(config: Config) -> TestApp {
    let app = Application::build(config)
        .await
        .unwrap_or_else(|e| panic!("build: {e}"));
    let (grpc_port, http_port, metrics) = (app.grpc_port(), app.http_port(), app.metrics());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    let client = connect(grpc_port).await;
    TestApp {
        grpc_port,
        http_port,
        metrics,
        client,
        stop: tx,
        server,
    }
}

pub async fn connect(port: u16) -> Client {
    for _ in 0..100 {
        if let Ok(c) = RateLimitClient::connect(format!("http://127.0.0.1:{port}")).await {
            return c;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("gRPC server on {port} not reachable");
}

pub fn req(
    subject: &str,
    tier: &str,
    class: &str,
    hits: u32,
    check_only: bool,
) -> RateLimitRequest {
    RateLimitRequest {
        descriptor: Some(Descriptor {
            subject: subject.into(),
            tier: tier.into(),
            route_class: class.into(),
        }),
        hits,
        check_only,
        requests: 1,
        report_only: false,
    }
}

pub async fn decide(
    c: &mut Client,
    subject: &str,
    tier: &str,
    class: &str,
    hits: u32,
    check_only: bool,
) -> RateLimitResponse {
    c.should_rate_limit(req(subject, tier, class, hits, check_only))
        .await
        .unwrap_or_else(|e| panic!("ShouldRateLimit: {e}"))
        .into_inner()
}

pub async fn hit(c: &mut Client, subject: &str, tier: &str) -> RateLimitResponse {
    decide(c, subject, tier, "read", 1, false).await
}

pub async fn usage(c: &mut Client, subject: &str, day: &str) -> UsageResponse {
    c.get_usage(UsageRequest {
        subject: subject.into(),
        day: day.into(),
    })
    .await
    .unwrap_or_else(|e| panic!("GetUsage: {e}"))
    .into_inner()
}

pub fn is_ok(r: &RateLimitResponse) -> bool {
    r.code == rpc::ratelimit::Code::Ok as i32
}

pub fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(0))
        .unwrap_or(0)
}

pub async fn get(port: u16, path: &str) -> (u16, String) {
    let res = testkit::http()
        .get(format!("http://127.0.0.1:{port}{path}"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}
