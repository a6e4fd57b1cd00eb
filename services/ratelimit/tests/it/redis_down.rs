//! Redis stopped in the middle of a test, then started again, for both failure policies.
//! Uses a private `redis-server` on a free port (never the shared one on 6379).

use crate::helpers::*;
use ratelimit_service::config::{Config, FailurePolicy};
use rpc::ratelimit::Code;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct PrivateRedis {
    port: u16,
    child: Option<Child>,
}

impl PrivateRedis {
    async fn start() -> Self {
        let mut r = Self {
            port: testkit::process::free_port(),
            child: None,
        };
        r.restart().await;
        r
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn restart(&mut self) {
        let port = self.port.to_string();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("redis-server: {e}"));
        self.child = Some(child);
        let client = redis::Client::open(self.url()).unwrap_or_else(|e| panic!("{e}"));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut con) = client.get_multiplexed_async_connection().await
                && redis::cmd("PING")
                    .query_async::<String>(&mut con)
                    .await
                    .is_ok()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "private redis did not start on {port}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGSTOP / SIGCONT: a Redis that accepts nothing and answers nothing (slow, hung, partitioned).
    fn signal(&self, sig: &str) {
        if let Some(c) = &self.child {
            let status = Command::new("kill")
                .args([sig, &c.id().to_string()])
                .status();
            assert!(status.is_ok_and(|s| s.success()), "kill {sig}");
        }
    }

    /// SIGKILL: the way a crashed or partitioned Redis looks to clients.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

fn outage_config(redis: &PrivateRedis, policy: FailurePolicy) -> Config {
    let mut cfg = config(&[("five", 5, 3600, 0, false)]);
    cfg.redis.url = service_kit::config::SecretUrl::new(redis.url());
    cfg.failure_policy = policy;
    cfg.timeout_ms = 250;
    cfg.breaker_failures = 3;
    cfg.breaker_open_ms = 200;
    cfg
}

/// Polls until a decision comes from Redis again (recovery needs no restart of the service).
async fn wait_for_recovery(c: &mut Client, tier: &str) -> rpc::ratelimit::RateLimitResponse {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = c
            .should_rate_limit(req(&testkit::unique("probe_"), tier, "read", 1, false))
            .await
        {
            let r = r.into_inner();
            if !r.degraded {
                return r;
            }
        }
        assert!(
            Instant::now() < deadline,
            "did not recover within 30 s after redis came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_open_falls_back_to_the_in_process_limiter_then_recovers() {
    let mut redis = PrivateRedis::start().await;
    let mut app = spawn(outage_config(&redis, FailurePolicy::FailOpen)).await;
    let c = &mut app.client;
    let s = testkit::unique("key_");
    for _ in 0..2 {
        let r = hit(c, &s, "five").await;
        assert!(is_ok(&r) && !r.degraded);
    }

    redis.kill();
    // Decisions keep coming, flagged degraded, from the same GCRA in memory, continuing from
    // the state Redis last reported to this replica (2 of 5 spent).
    let mut outcomes = Vec::new();
    for _ in 0..8 {
        let r = hit(c, &s, "five").await;
        assert!(r.degraded, "{r:?}");
        assert_eq!((r.limit, r.policy_name.as_str()), (5, "five-read"));
        outcomes.push(is_ok(&r));
    }
    assert_eq!(
        outcomes.iter().filter(|ok| **ok).count(),
        3,
        "fallback continues from the mirrored state: {outcomes:?}"
    );
    assert!(app.metrics.fallback_total() >= 8);
    let (status, body) = get(app.http_port, "/readyz").await;
    assert_eq!(status, 503, "{body}");
    let (_, m) = get(app.http_port, "/metrics").await;
    assert!(m.contains("ratelimit_redis_up 0"), "{m}");
    assert!(
        m.contains(
            "ratelimit_decisions_total{tier=\"five\",outcome=\"over_limit\",source=\"fallback\"} 5"
        ),
        "{m}"
    );
    // Usage has no fallback.
    let u = c
        .get_usage(rpc::ratelimit::UsageRequest {
            subject: s.clone(),
            day: String::new(),
        })
        .await;
    assert_eq!(u.err().map(|e| e.code()), Some(tonic::Code::Unavailable));

    redis.restart().await;
    let first = wait_for_recovery(c, "five").await;
    assert!(is_ok(&first));
    // Redis restarted empty (no persistence), so the subject starts afresh there and is counted again.
    let r = hit(c, &s, "five").await;
    assert!(is_ok(&r) && !r.degraded);
    assert_eq!(r.remaining, 4);
    assert_eq!(get(app.http_port, "/readyz").await.0, 200);
    let u = usage(c, &s, "").await;
    assert_eq!(
        u.requests_today, 1,
        "only decisions taken by redis are counted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_closed_answers_unavailable_then_recovers() {
    let mut redis = PrivateRedis::start().await;
    let mut app = spawn(outage_config(&redis, FailurePolicy::FailClosed)).await;
    let c = &mut app.client;
    let s = testkit::unique("key_");
    assert!(is_ok(&hit(c, &s, "five").await));

    redis.kill();
    for _ in 0..5 {
        let err = c
            .should_rate_limit(req(&s, "five", "read", 1, false))
            .await
            .err()
            .map(|e| e.code());
        assert_eq!(err, Some(tonic::Code::Unavailable));
    }
    let (_, m) = get(app.http_port, "/metrics").await;
    assert!(
        m.contains(
            "ratelimit_decisions_total{tier=\"five\",outcome=\"unavailable\",source=\"none\"} 5"
        ),
        "{m}"
    );

    redis.restart().await;
    let first = wait_for_recovery(c, "five").await;
    assert!(is_ok(&first) && !first.degraded);
    let r = hit(c, &s, "five").await;
    assert!(is_ok(&r));
    assert_eq!(r.code, Code::Ok as i32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_redis_times_out_into_the_fallback_then_recovers() {
    let redis = PrivateRedis::start().await;
    let mut app = spawn(outage_config(&redis, FailurePolicy::FailOpen)).await;
    let c = &mut app.client;
    let s = testkit::unique("key_");
    assert!(!hit(c, &s, "five").await.degraded);

    // The connection stays open but nothing answers: only the 50 ms timeout can end the wait.
    redis.signal("-STOP");
    for _ in 0..6 {
        let r = hit(c, &s, "five").await;
        assert!(r.degraded, "{r:?}");
    }
    let (_, m) = get(app.http_port, "/metrics").await;
    assert!(
        !m.contains("ratelimit_redis_errors_total{kind=\"timeout\"} 0"),
        "{m}"
    );
    assert!(
        !m.contains("ratelimit_fallback_total{reason=\"timeout\"} 0"),
        "{m}"
    );
    assert!(
        !m.contains("ratelimit_fallback_total{reason=\"circuit_open\"} 0"),
        "breaker skips redis: {m}"
    );

    redis.signal("-CONT");
    let r = wait_for_recovery(c, "five").await;
    assert!(is_ok(&r));
    // Redis kept its data: the subject's bucket still holds the spends made through Redis.
    let r = decide(c, &s, "five", "read", 0, true).await;
    assert!(!r.degraded);
    assert!(r.remaining <= 4, "{r:?}");
}
