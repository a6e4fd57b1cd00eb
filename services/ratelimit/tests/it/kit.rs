//! What the service kit promises: metrics, health and readiness, refused start-ups.

use crate::helpers::{config, spawn};
use std::path::Path;
use testkit::kit_checks;

const BINARY: &str = env!("CARGO_BIN_EXE_ratelimit-service");

#[tokio::test]
async fn metrics_carry_process_build_request_histograms_and_decisions() {
    let app = spawn(config(&[])).await;
    let base = format!("http://127.0.0.1:{}", app.http_port);
    let text = kit_checks::assert_serves_metrics(&base, "ratelimit", "/healthz").await;
    assert!(
        text.contains("# TYPE ratelimit_decisions counter"),
        "{text}"
    );
    kit_checks::assert_healthy_and_ready(&base, &["redis"]).await;
}

#[test]
fn an_unknown_configuration_key_is_refused_by_name() {
    kit_checks::assert_refuses_to_start(
        Path::new(BINARY),
        &[("RATELIMIT__TIERS__FREE__LIMT", "10")],
        "RATELIMIT__TIERS__FREE__LIMT",
    );
    kit_checks::assert_refuses_to_start(
        Path::new(BINARY),
        &[("RATELIMIT__REDIS_URL", "redis://elsewhere:6379")],
        "redis_url",
    );
}
