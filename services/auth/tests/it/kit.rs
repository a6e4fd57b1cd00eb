//! What the service kit promises: metrics, health and readiness, refused start-ups.

use crate::TestApp;
use std::path::Path;
use testkit::kit_checks;

const BINARY: &str = env!("CARGO_BIN_EXE_auth-service");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_carry_process_build_request_histograms_and_key_lookups() {
    let app = TestApp::spawn().await;
    let text = kit_checks::assert_serves_metrics(&app.base, "auth", "/healthz").await;
    for expected in [
        "auth_key_lookups_total{source=\"cache\"}",
        "auth_key_lookups_total{source=\"database\"}",
        "auth_key_cache_entries{cache=\"keys\"}",
        "db_pool_max_connections{pool=\"postgres\"} 8",
    ] {
        assert!(text.contains(expected), "{expected} missing:\n{text}");
    }
    kit_checks::assert_healthy_and_ready(&app.base, &["postgres", "redis"]).await;
}

#[test]
fn an_unknown_configuration_key_is_refused_by_name() {
    kit_checks::assert_refuses_to_start(
        Path::new(BINARY),
        &[("AUTH__REDIS__URI", "redis://elsewhere:6379")],
        "AUTH__REDIS__URI",
    );
    kit_checks::assert_refuses_to_start(
        Path::new(BINARY),
        &[("AUTH__HTTP_LISTEN", "127.0.0.1:0")],
        "http_listen",
    );
}

#[test]
fn production_refuses_each_development_secret() {
    let real = [
        ("AUTH__ENVIRONMENT", "production"),
        ("AUTH__OPERATOR_TOKEN", "a-real-operator-token"),
        (
            "AUTH__SIGNING_KEY_ENCRYPTION_KEY",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ),
        ("AUTH__CURSOR_SECRET", "a-real-cursor-secret"),
    ];
    for (missing, env_var) in [
        ("operator_token", "AUTH__OPERATOR_TOKEN"),
        (
            "signing_key_encryption_key",
            "AUTH__SIGNING_KEY_ENCRYPTION_KEY",
        ),
        ("cursor_secret", "AUTH__CURSOR_SECRET"),
    ] {
        let env: Vec<_> = real
            .iter()
            .copied()
            .filter(|(k, _)| *k != env_var)
            .collect();
        let out = kit_checks::assert_refuses_to_start(Path::new(BINARY), &env, env_var);
        assert!(out.contains(missing), "{out}");
    }
}
