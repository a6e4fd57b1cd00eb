//! Rate limiting across gateway instances, and the fail policy when ratelimit is down.

use crate::support::{
    BIG_LIMIT, BIG_TIER, Gateway, MEDIUM_LIMIT, MEDIUM_TIER, Platform, SHADOW_TIER, TIGHT_LIMIT,
    TIGHT_TIER, assert_error,
};
use gateway::FailPolicy;
use std::time::Duration;

#[tokio::test]
async fn the_limit_is_exact_across_two_gateways() {
    let p = Platform::start().await;
    let a = Gateway::start(p.config()).await;
    let b = Gateway::start(p.config()).await;
    let key = p.mint("partner", &["read"], TIGHT_TIER).await;
    let mut requests = Vec::new();
    for i in 0..(TIGHT_LIMIT * 4) {
        let gw = if i % 2 == 0 { &a } else { &b };
        requests.push(
            gw.get("partner.localhost", "/api/partner/events")
                .bearer_auth(&key.key)
                .send(),
        );
    }
    let results = futures_util::future::join_all(requests).await;
    let statuses: Vec<u16> = results
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    let passed = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(
        (passed, refused),
        (TIGHT_LIMIT, TIGHT_LIMIT * 3),
        "{statuses:?}"
    );
}

/// Concurrent requests of one key are decided in batches (`hits = n`); the
/// count stays exact and every passing request sees a distinct `Remaining`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batched_decisions_stay_exact_across_two_gateways() {
    let p = Platform::start().await;
    let a = Gateway::start(p.config()).await;
    let b = Gateway::start(p.config()).await;
    let key = p.mint("admin", &["customers:read"], MEDIUM_TIER).await;
    let mut requests = Vec::new();
    for i in 0..(MEDIUM_LIMIT * 3) {
        let gw = if i % 2 == 0 { &a } else { &b };
        let req = gw
            .get("admin.localhost", "/api/v1/customers")
            .bearer_auth(&key.key)
            .send();
        requests.push(tokio::spawn(req));
    }
    let mut remaining = Vec::new();
    let mut refused = 0;
    for r in requests {
        let res = r.await.unwrap().unwrap();
        match res.status().as_u16() {
            200 => remaining.push(
                res.headers()["x-ratelimit-remaining"]
                    .to_str()
                    .unwrap()
                    .parse::<usize>()
                    .unwrap(),
            ),
            429 => refused += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((remaining.len(), refused), (MEDIUM_LIMIT, MEDIUM_LIMIT * 2));
    remaining.sort_unstable();
    assert_eq!(remaining, (0..MEDIUM_LIMIT).collect::<Vec<_>>());
    let (ma, mb) = (a.metrics().await, b.metrics().await);
    eprintln!(
        "{}\n{}",
        ma.lines()
            .filter(|l| l.starts_with("gateway_ratelimit_"))
            .collect::<Vec<_>>()
            .join("\n"),
        mb.lines()
            .filter(|l| l.starts_with("gateway_ratelimit_"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A busy key far from its limit is decided on leased tokens: few calls to
/// ratelimit, every request passes with a plausible `Remaining`, and usage
/// counts every request once the leases were reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn busy_keys_far_from_their_limit_pass_on_leased_tokens() {
    const REQUESTS: usize = 400;
    let p = Platform::start().await;
    let config = p.config();
    let lease_max = config.ratelimit_lease_max as usize;
    let gw = Gateway::start(config).await;
    let key = p.mint("admin", &["customers:read"], BIG_TIER).await;
    let mut remaining = Vec::new();
    for _ in 0..REQUESTS / 16 {
        let batch = (0..16).map(|_| {
            gw.get("admin.localhost", "/api/v1/customers")
                .bearer_auth(&key.key)
                .send()
        });
        for res in futures_util::future::join_all(batch).await {
            let res = res.unwrap();
            assert_eq!(res.status(), 200);
            remaining.push(
                res.headers()["x-ratelimit-remaining"]
                    .to_str()
                    .unwrap()
                    .parse::<usize>()
                    .unwrap(),
            );
        }
    }
    // Never above the limit (the tier has a burst on top, not advertised), and
    // leased tokens are spent in Redis ahead of time: at most two workers'
    // leases beyond the requests themselves.
    assert!(remaining.iter().all(|r| *r <= BIG_LIMIT), "{remaining:?}");
    assert!(
        remaining
            .iter()
            .all(|r| *r + REQUESTS + 2 * lease_max >= BIG_LIMIT),
        "{remaining:?}"
    );
    let metrics = gw.metrics().await;
    let counter = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing in {metrics}"))
    };
    let (calls, on_lease) = (
        counter("gateway_ratelimit_calls_total"),
        counter("gateway_ratelimit_lease_requests_total"),
    );
    assert!(on_lease > 0, "{metrics}");
    assert!(
        calls < (REQUESTS / 4) as u64,
        "{calls} calls for {REQUESTS} requests"
    );

    // Usage: the requests passed on leases are reported within two lease lifetimes.
    let mut client = rpc::ratelimit::rate_limit_client::RateLimitClient::connect(format!(
        "http://127.0.0.1:{}",
        p.ratelimit_grpc
    ))
    .await
    .unwrap();
    let mut counted = 0;
    for _ in 0..40 {
        counted = client
            .get_usage(rpc::ratelimit::UsageRequest {
                subject: key.id.clone(),
                day: String::new(),
            })
            .await
            .unwrap()
            .into_inner()
            .requests_today;
        if counted == REQUESTS as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(counted, REQUESTS as u64);
}

#[tokio::test]
async fn ingest_is_limited_by_client_ip() {
    let p = Platform::start().await;
    let gw = Gateway::start(p.config()).await;
    let res = gw
        .post("partner.localhost", "/sdk/ingest")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let policy = res.headers()["ratelimit-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("anonymous") && policy.contains("ingest"),
        "{policy}"
    );
}

#[tokio::test]
async fn ratelimit_down_fails_open_by_default_and_closed_when_configured() {
    let mut p = Platform::start().await;
    let open = Gateway::start(p.config()).await;
    let mut closed_config = p.config();
    closed_config.ratelimit_fail_policy = FailPolicy::Closed;
    let closed = Gateway::start(closed_config).await;
    let key = p.mint("admin", &["customers:read"], "starter").await;
    drop(p.ratelimit.take());

    let res = open
        .get("admin.localhost", "/api/v1/customers")
        .bearer_auth(&key.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        !res.headers().contains_key("x-ratelimit-limit"),
        "no headers without a decision"
    );
    let res = closed
        .get("admin.localhost", "/api/v1/customers")
        .bearer_auth(&key.key)
        .send()
        .await
        .unwrap();
    assert_error(res, 503, "service_unavailable", false).await;

    let metrics = open.metrics().await;
    assert!(
        metrics.contains("gateway_ratelimit_failures_total{outcome=\"allowed\"} 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_shadow_tier_is_reported_but_never_refused() {
    let p = Platform::start().await;
    let gw = Gateway::start(p.config()).await;
    let key = p.mint("admin", &["customers:read"], SHADOW_TIER).await;
    for _ in 0..3 {
        let res = gw
            .get("admin.localhost", "/api/v1/customers")
            .bearer_auth(&key.key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["x-ratelimit-limit"], "1");
    }
    let metrics = gw.metrics().await;
    assert!(
        metrics.contains("gateway_ratelimit_shadow_total 2"),
        "{metrics}"
    );
}
