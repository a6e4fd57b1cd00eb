//! What the service kit promises, on the gateway's internal port: metrics,
//! health and readiness, refused start-ups.

use crate::support::{Gateway, Platform};
use std::path::Path;
use testkit::kit_checks;

const BINARY: &str = env!("CARGO_BIN_EXE_gateway");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_internal_port_serves_process_build_request_and_route_metrics() {
    let p = Platform::start().await;
    let gw = Gateway::start(p.config()).await;
    let key = p.mint("admin", &["customers:read"], "starter").await;
    let res = gw
        .get("admin.localhost", "/api/v1/customers")
        .bearer_auth(&key.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let internal = format!("http://127.0.0.1:{}", gw.internal_port);
    let text = kit_checks::assert_serves_metrics(&internal, "gateway", "/healthz").await;
    for expected in [
        "gateway_requests_total{route=\"admin-api\",status=\"200\"} 1",
        "gateway_request_duration_seconds_count{route=\"admin-api\"} 1",
        "gateway_auth_cache_entries{cache=\"principals\"} 1",
        "gateway_auth_cache_total{result=\"miss\"} 1",
    ] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }
    kit_checks::assert_healthy_and_ready(&internal, &["serving", "auth", "ratelimit"]).await;
}

#[test]
fn an_unknown_configuration_key_is_refused_by_name() {
    kit_checks::assert_refuses_to_start(
        Path::new(BINARY),
        &[("GATEWAY__UPSTREAMS__ADMIN", "http://elsewhere:8101")],
        "GATEWAY__UPSTREAMS__ADMIN",
    );
    kit_checks::assert_refuses_to_start(
        Path::new(BINARY),
        &[("GATEWAY__SHUTDOWN_TIMEOUT_SECS", "5")],
        "shutdown_timeout_secs",
    );
}
