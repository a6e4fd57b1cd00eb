//! What the service kit promises: metrics, health and readiness, refused start-ups.

use crate::helpers::TestApp;
use std::path::Path;
use testkit::kit_checks;

const BINARY: &str = env!("CARGO_BIN_EXE_partner-api");

#[tokio::test]
async fn metrics_carry_process_build_and_request_histograms() {
    let app = TestApp::spawn().await;
    let text = kit_checks::assert_serves_metrics(&app.base, "partner-api", "/healthz").await;
    assert!(
        text.contains("db_pool_max_connections{pool=\"postgres\"}"),
        "{text}"
    );
    kit_checks::assert_healthy_and_ready(&app.base, &["postgres"]).await;
}

#[test]
fn an_unknown_configuration_key_is_refused_by_name() {
    kit_checks::assert_refuses_to_start(
        Path::new(BINARY),
        &[("PARTNER_API__QUERY__MAX_PER_PAG", "10")],
        "PARTNER_API__QUERY__MAX_PER_PAG",
    );
    kit_checks::assert_refuses_to_start(
        Path::new(BINARY),
        &[("PARTNER_API__DB_POOL_SIZE", "4")],
        "db_pool_size",
    );
}
