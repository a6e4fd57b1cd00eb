//! What the service kit promises: metrics, health and readiness, refused start-ups.

use crate::helpers::TestApp;
use std::path::Path;
use testkit::kit_checks;

const BINARY: &str = env!("CARGO_BIN_EXE_admin-api");

#[tokio::test]
async fn metrics_carry_process_build_and_request_histograms() {
    let app = TestApp::spawn().await;
    let text = kit_checks::assert_serves_metrics(&app.base, "admin-api", "/healthz").await;
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
        &[("ADMIN_API__DATABASE__URLL", "postgres://elsewhere/admin")],
        "ADMIN_API__DATABASE__URLL",
    );
    kit_checks::assert_refuses_to_start(
        Path::new(BINARY),
        &[("ADMIN_API__DATABASE_URL", "postgres://old-name/admin")],
        "database_url",
    );
}

#[test]
fn production_refuses_the_development_cursor_secret() {
    kit_checks::assert_refuses_to_start(
        Path::new(BINARY),
        &[("ADMIN_API__ENVIRONMENT", "production")],
        "ADMIN_API__CURSOR_SECRET",
    );
}
