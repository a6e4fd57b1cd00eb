//! Decisions through the gRPC API: exactness across replicas, reset/retry-after, cost,
//! check-only, shadow mode, the tier table, invalid input, probes and metrics.

use crate::helpers::*;
use rpc::ratelimit::Code;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_limit_plus_burst_pass_across_two_instances_and_many_tasks() {
    // 20 per hour + burst 5: capacity 25; nothing refills during the test (one token per 180 s).
    let cfg = config(&[("test", 20, 3600, 5, false)]);
    let a = spawn(cfg.clone()).await;
    let b = spawn(cfg).await;
    assert_ne!(a.grpc_port, b.grpc_port);
    let subject = testkit::unique("key_");

    let mut tasks = Vec::new();
    for t in 0..16 {
        let mut client = if t % 2 == 0 {
            a.client.clone()
        } else {
            b.client.clone()
        };
        let subject = subject.clone();
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for _ in 0..10 {
                out.push(hit(&mut client, &subject, "test").await);
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_else(|e| panic!("{e}")));
    }
    let degraded = all.iter().filter(|r| r.degraded).count();
    assert_eq!(degraded, 0, "every decision must come from Redis here");
    let allowed: Vec<_> = all.iter().filter(|r| is_ok(r)).collect();
    let refused: Vec<_> = all
        .iter()
        .filter(|r| r.code == Code::OverLimit as i32)
        .collect();
    assert_eq!(allowed.len(), 25, "exactly limit + burst pass");
    assert_eq!(refused.len(), 160 - 25);
    // Each allowed decision saw a distinct remaining count 24, 23, …, 0, reported capped
    // at the limit (20): 20 five times (24…20), then 19 … 0 once each.
    let mut remaining: Vec<u32> = allowed.iter().map(|r| r.remaining).collect();
    remaining.sort_unstable();
    let expected: Vec<u32> = (0..20).chain(std::iter::repeat_n(20, 5)).collect();
    assert_eq!(remaining, expected);
    for r in &all {
        assert_eq!(
            (r.limit, r.burst, r.window_seconds, r.policy_name.as_str()),
            (20, 5, 3600, "test-read")
        );
        assert!(!r.degraded && !r.shadow);
    }
    let now = now_epoch();
    for r in &refused {
        assert_eq!(r.remaining, 0);
        // One token every 180 s: the next request fits about 180 s after the first one.
        assert!(
            (178..=180).contains(&r.retry_after_seconds),
            "retry_after {}",
            r.retry_after_seconds
        );
        // Full again after 25 tokens × 180 s.
        assert!(
            (now + 4497..=now + 4502).contains(&r.reset_epoch_seconds),
            "reset {} now {now}",
            r.reset_epoch_seconds
        );
    }
    for r in &allowed {
        assert_eq!(r.retry_after_seconds, 0);
    }
    // Another route class and another subject have their own buckets.
    let mut c = a.client.clone();
    assert!(is_ok(
        &decide(&mut c, &subject, "test", "write", 1, false).await
    ));
    assert!(is_ok(&hit(&mut c, &testkit::unique("key_"), "test").await));
}

#[tokio::test]
async fn honouring_retry_after_and_reset_lets_the_client_back_in() {
    // 2 per 2 s, no burst: one token per second.
    let mut app = spawn(config(&[("fast", 2, 2, 0, false)])).await;
    let s = testkit::unique("key_");
    assert!(is_ok(&hit(&mut app.client, &s, "fast").await));
    assert!(is_ok(&hit(&mut app.client, &s, "fast").await));
    let refused = hit(&mut app.client, &s, "fast").await;
    assert_eq!(refused.code, Code::OverLimit as i32);
    assert_eq!(refused.retry_after_seconds, 1);
    tokio::time::sleep(std::time::Duration::from_secs(u64::from(
        refused.retry_after_seconds,
    )))
    .await;
    let again = hit(&mut app.client, &s, "fast").await;
    assert!(
        is_ok(&again),
        "allowed after waiting retry_after: {again:?}"
    );
    // After the reset instant the bucket is full again.
    let wait = again.reset_epoch_seconds - now_epoch() + 1;
    tokio::time::sleep(std::time::Duration::from_secs(
        u64::try_from(wait.max(0)).unwrap_or(0),
    ))
    .await;
    let full = decide(&mut app.client, &s, "fast", "read", 1, true).await;
    assert!(is_ok(&full));
    assert_eq!(full.remaining, 2);
}

#[tokio::test]
async fn cost_and_check_only() {
    let mut app = spawn(config(&[("ten", 10, 3600, 0, false)])).await;
    let c = &mut app.client;
    let s = testkit::unique("key_");
    let peek = decide(c, &s, "ten", "read", 0, true).await;
    assert!(is_ok(&peek));
    assert_eq!(peek.remaining, 10);
    let four = decide(c, &s, "ten", "read", 4, false).await;
    assert!(is_ok(&four));
    assert_eq!(four.remaining, 6);
    // Check-only with hits 0 reports the state (OK even when the bucket is empty, per contract).
    let state = decide(c, &s, "ten", "read", 0, true).await;
    assert!(is_ok(&state));
    assert_eq!(state.remaining, 6);
    // Check-only: would 7 pass? No. Nothing is spent either way.
    let would = decide(c, &s, "ten", "read", 7, true).await;
    assert_eq!(would.code, Code::OverLimit as i32);
    assert_eq!(would.remaining, 6);
    assert!(would.retry_after_seconds >= 1);
    for _ in 0..3 {
        assert_eq!(decide(c, &s, "ten", "read", 1, true).await.remaining, 6);
    }
    let six = decide(c, &s, "ten", "read", 6, false).await;
    assert!(is_ok(&six));
    assert_eq!(six.remaining, 0);
    assert_eq!(
        decide(c, &s, "ten", "read", 1, false).await.code,
        Code::OverLimit as i32
    );
    assert_eq!(
        decide(c, &s, "ten", "read", 1, true).await.code,
        Code::OverLimit as i32
    );
    let empty = decide(c, &s, "ten", "read", 0, true).await;
    assert_eq!((empty.code, empty.remaining), (Code::Ok as i32, 0));
    // hits 0 without check_only costs 1.
    let s2 = testkit::unique("key_");
    assert_eq!(decide(c, &s2, "ten", "read", 0, false).await.remaining, 9);
    // A cost above the capacity can never pass: INVALID_ARGUMENT, not a retry hint.
    let err = c
        .should_rate_limit(req(&s, "ten", "read", 11, false))
        .await
        .err()
        .map(|e| e.code());
    assert_eq!(err, Some(tonic::Code::InvalidArgument));
    // Check-only calls are not usage.
    let u = usage(c, &s, "").await;
    assert_eq!((u.requests_today, u.refused_today), (3, 1));
    assert_eq!(usage(c, &s2, "").await.requests_today, 1);
}

#[tokio::test]
async fn shadow_mode_decides_and_reports_but_never_refuses() {
    let mut app = spawn(config(&[("trial", 3, 3600, 0, true)])).await;
    let s = testkit::unique("key_");
    let mut shadowed = 0;
    for i in 0..6 {
        let r = hit(&mut app.client, &s, "trial").await;
        assert!(is_ok(&r), "shadow mode never refuses");
        assert_eq!(r.shadow, i >= 3, "request {i}");
        if r.shadow {
            shadowed += 1;
            assert_eq!(r.remaining, 0);
            assert!(
                r.retry_after_seconds >= 1,
                "reports what an enforced refusal would say"
            );
        }
    }
    assert_eq!(shadowed, 3);
    let u = usage(&mut app.client, &s, "").await;
    assert_eq!(
        (u.requests_today, u.refused_today),
        (6, 0),
        "shadowed requests are not refusals"
    );
    let (_, m) = get(app.http_port, "/metrics").await;
    assert!(m.contains("ratelimit_decisions_total{tier=\"trial\",outcome=\"shadow_over_limit\",source=\"redis\"} 3"), "{m}");
}

#[tokio::test]
async fn the_tier_table_and_route_classes_apply() {
    let mut app = spawn(config(&[])).await;
    let c = &mut app.client;
    let s = testkit::unique("key_");
    let r = hit(c, &s, "starter").await;
    assert_eq!(
        (r.limit, r.burst, r.window_seconds, r.policy_name.as_str()),
        (600, 100, 60, "starter-read")
    );
    assert_eq!(r.remaining, 600, "699 left, reported capped at the limit");
    let g = decide(c, &s, "starter", "generate", 1, false).await;
    assert_eq!((g.limit, g.policy_name.as_str()), (60, "starter-generate"));
    assert!(g.limit < r.limit, "generate is lower than read");
    assert_eq!(hit(c, &s, "growth").await.limit, 3000);
    assert_eq!(hit(c, &s, "enterprise").await.limit, 12000);
    let unknown = hit(c, &testkit::unique("key_"), "platinum").await;
    assert_eq!(
        (unknown.limit, unknown.policy_name.as_str()),
        (60, "free-read"),
        "unknown tier is free"
    );
    let ip = decide(c, "ip:203.0.113.9", "anonymous", "ingest", 1, false).await;
    assert_eq!(
        (ip.limit, ip.burst, ip.policy_name.as_str()),
        (600, 200, "anonymous-ingest")
    );
    let v6 = decide(c, "ip:2001:db8::1", "anonymous", "ingest", 1, false).await;
    assert!(is_ok(&v6));
}

#[tokio::test]
async fn invalid_descriptors_are_rejected() {
    let mut app = spawn(config(&[])).await;
    let c = &mut app.client;
    let no_descriptor = rpc::ratelimit::RateLimitRequest {
        descriptor: None,
        hits: 1,
        check_only: false,
        requests: 1,
        report_only: false,
    };
    for bad in [
        no_descriptor,
        req("", "free", "read", 1, false),
        req("key_{x}", "free", "read", 1, false),
        req("a b", "free", "read", 1, false),
    ] {
        let code = c.should_rate_limit(bad).await.err().map(|e| e.code());
        assert_eq!(code, Some(tonic::Code::InvalidArgument));
    }
    let (_, m) = get(app.http_port, "/metrics").await;
    assert!(m.contains("ratelimit_invalid_requests_total 3"), "{m}");
}

#[tokio::test]
async fn probes_and_metrics() {
    let mut app = spawn(config(&[])).await;
    let (s, body) = get(app.http_port, "/healthz").await;
    assert_eq!((s, body.contains("ok")), (200, true));
    let (s, body) = get(app.http_port, "/readyz").await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("\"checks\":{\"redis\":\"ok\"}"), "{body}");
    hit(&mut app.client, &testkit::unique("key_"), "free").await;
    let (s, m) = get(app.http_port, "/metrics").await;
    assert_eq!(s, 200);
    for needle in [
        "ratelimit_decisions_total{tier=\"free\",outcome=\"ok\",source=\"redis\"} 1",
        "ratelimit_redis_duration_seconds_count 1",
        "ratelimit_redis_duration_seconds_bucket{le=\"+Inf\"} 1",
        "ratelimit_fallback_total{reason=\"timeout\"} 0",
        "ratelimit_redis_up 1",
    ] {
        assert!(m.contains(needle), "missing {needle} in\n{m}");
    }
    assert_eq!(get(app.http_port, "/nope").await.0, 404);
}

#[tokio::test]
async fn shutdown_is_graceful() {
    let mut app = spawn(config(&[])).await;
    assert!(is_ok(
        &hit(&mut app.client, &testkit::unique("key_"), "free").await
    ));
    let (grpc_port, http_port) = (app.grpc_port, app.http_port);
    app.stop()
        .await
        .unwrap_or_else(|e| panic!("run_until_stopped: {e}"));
    assert!(
        rpc::ratelimit::rate_limit_client::RateLimitClient::connect(format!(
            "http://127.0.0.1:{grpc_port}"
        ))
        .await
        .is_err(),
        "gRPC listener closed"
    );
    let res = testkit::http()
        .get(format!("http://127.0.0.1:{http_port}/healthz"))
        .send()
        .await;
    assert!(res.is_err(), "HTTP listener closed");
}
