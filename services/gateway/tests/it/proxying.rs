//! Streaming, graceful shutdown and the internal endpoints, against the gateway binary.

use crate::support::{Platform, metrics_at};
use futures_util::StreamExt;
use std::time::{Duration, Instant};
use testkit::process::{ServiceProcess, free_port};

async fn spawn_gateway(p: &Platform) -> (ServiceProcess, u16, u16) {
    let (port, internal) = (free_port(), free_port());
    let env = p.env(port, internal);
    let ready = format!("http://127.0.0.1:{internal}/readyz");
    let process = ServiceProcess::spawn("gateway", &["serve"], &env, &ready).await;
    (process, port, internal)
}

/// Resident set size (current, peak) of a process in KiB.
fn rss_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[tokio::test]
async fn a_large_response_is_streamed_without_being_held_in_memory() {
    let p = Platform::start().await;
    let (gw, port, _) = spawn_gateway(&p).await;
    let key = p.mint("admin", &["customers:read"], "starter").await;
    let (_, baseline_peak) = rss_kib(gw.id());
    let mb = 200u64;
    let res = testkit::http()
        .get(format!("http://127.0.0.1:{port}/api/v1/large?mb={mb}"))
        .header("host", "admin.localhost")
        .bearer_auth(&key.key)
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.content_length(), Some(mb * 1024 * 1024));
    let mut stream = res.bytes_stream();
    let mut received = 0u64;
    let mut max_rss = 0;
    while let Some(chunk) = stream.next().await {
        received += chunk.unwrap().len() as u64;
        if received % (8 * 1024 * 1024) < 65_536 {
            max_rss = max_rss.max(rss_kib(gw.id()).0);
        }
    }
    assert_eq!(received, mb * 1024 * 1024);
    let (_, peak) = rss_kib(gw.id());
    eprintln!(
        "gateway RSS: baseline peak {baseline_peak} KiB, max during transfer {max_rss} KiB, peak {peak} KiB"
    );
    assert!(
        peak < 64 * 1024,
        "gateway peak RSS {peak} KiB for a {mb} MiB body"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_in_flight_requests_finish_then_exits() {
    let p = Platform::start().await;
    let (gw, port, internal) = spawn_gateway(&p).await;
    let key = p.mint("admin", &["customers:read"], "starter").await;
    let mut in_flight = Vec::new();
    for _ in 0..3 {
        let req = testkit::http()
            .get(format!("http://127.0.0.1:{port}/api/v1/wait?ms=1500"))
            .header("host", "admin.localhost")
            .bearer_auth(&key.key)
            .send();
        in_flight.push(tokio::spawn(req));
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    let started = Instant::now();
    let terminated = tokio::task::spawn_blocking(move || {
        let mut gw = gw;
        let status = gw.terminate(Duration::from_secs(15));
        (gw, status)
    });
    // Shortly after SIGTERM the gateway reports not ready and refuses new connections.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ready = testkit::http()
        .get(format!("http://127.0.0.1:{internal}/readyz"))
        .send()
        .await;
    assert!(ready.map(|r| r.status() == 503).unwrap_or(true));
    let refused = testkit::http()
        .get(format!("http://127.0.0.1:{port}/api/v1/customers"))
        .header("host", "admin.localhost")
        .bearer_auth(&key.key)
        .send()
        .await;
    assert!(
        refused.is_err(),
        "a new connection was accepted during shutdown"
    );

    for r in in_flight {
        let res = r.await.unwrap().unwrap();
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["waited_ms"], 1500);
    }
    let (_gw, status) = terminated.await.unwrap();
    let status = status.expect("the gateway did not exit");
    assert!(status.success(), "{status}");
    eprintln!("shutdown took {:?}", started.elapsed());
}

#[tokio::test]
async fn health_readiness_and_metrics_are_on_the_internal_port() {
    let p = Platform::start().await;
    let (_gw, port, internal) = spawn_gateway(&p).await;
    let http = testkit::http();
    let health = http
        .get(format!("http://127.0.0.1:{internal}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    let ready: serde_json::Value = http
        .get(format!("http://127.0.0.1:{internal}/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    // Not on the public port.
    let res = http
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let metrics = metrics_at(internal).await;
    assert!(
        metrics.contains("gateway_requests_total{route=\"unmatched\",status=\"404\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("# TYPE gateway_request_duration_seconds histogram"));
    assert!(metrics.contains("gateway_auth_cache_hit_ratio"));
}
