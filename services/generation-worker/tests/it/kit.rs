//! What the service kit promises, for both deployables: metrics, health and
//! readiness, refused start-ups naming the key.

use crate::harness::TestApp;
use std::path::Path;
use testkit::kit_checks;

const WORKER: &str = env!("CARGO_BIN_EXE_generation-worker");

#[tokio::test]
async fn the_api_and_the_worker_serve_the_kits_metrics_health_and_readiness() {
    let app = TestApp::spawn().await;
    let text = kit_checks::assert_serves_metrics(&app.base, "generation-api", "/healthz").await;
    assert!(
        text.contains("db_pool_max_connections{pool=\"postgres\"}"),
        "{text}"
    );
    kit_checks::assert_healthy_and_ready(&app.base, &["postgres"]).await;

    let config = app.worker_config();
    let ctx = generation_worker::context(config).unwrap();
    let port = testkit::process::free_port();
    let server =
        generation_worker::observability_server(&format!("127.0.0.1:{port}"), &ctx).unwrap();
    tokio::spawn(server);
    let base = format!("http://127.0.0.1:{port}");
    kit_checks::assert_serves_metrics(&base, "generation-worker", "/healthz").await;
    kit_checks::assert_healthy_and_ready(&base, &["postgres"]).await;
}

#[test]
fn unknown_keys_and_development_secrets_in_production_are_refused() {
    kit_checks::assert_refuses_to_start(
        Path::new(WORKER),
        &[(
            "GENERATION_WORKER__DATABASE_URL",
            "postgres://old-name/generation",
        )],
        "database_url",
    );
    kit_checks::assert_refuses_to_start(
        Path::new(WORKER),
        &[("GENERATION_WORKER__ENVIRONMENT", "production")],
        "GENERATION_WORKER__STORAGE__SIGNING_SECRET",
    );
    let api = testkit::process::binary("generation-api");
    kit_checks::assert_refuses_to_start(
        &api,
        &[("GENERATION_API__STORAGE__ROOOT", "/tmp/x")],
        "GENERATION_API__STORAGE__ROOOT",
    );
    kit_checks::assert_refuses_to_start(
        &api,
        &[("GENERATION_API__ENVIRONMENT", "production")],
        "GENERATION_API__CURSOR_SECRET",
    );
}
