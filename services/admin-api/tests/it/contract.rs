//! Cross-cutting contract: stability and request-id headers, error envelope,
//! migrations in sync with the idempotency crate, health.

use crate::helpers::TestApp;

#[tokio::test]
async fn every_response_declares_stability_and_request_id() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    for path in [
        "/api/v1/customers",
        "/api/v1/customers/cus_missing",
        "/api/v1/nowhere",
        "/api/v1/customers?limit=0",
        "/healthz",
    ] {
        let r = app.get(&shop, path).await;
        assert_eq!(r.header("x-sumeru-stability"), Some("stable"), "{path}");
        let rid = r
            .header("x-request-id")
            .unwrap_or_else(|| panic!("{path}: no request id"));
        assert!(rid.starts_with("req_"));
        if r.status >= 400 {
            assert_eq!(r.body["error"]["request_id"], rid);
            assert!(r.body["error"]["message"].is_string());
            assert!(r.body["error"]["details"].is_object());
        }
    }
    let r = app
        .request(
            reqwest::Method::DELETE,
            Some(&shop),
            "/api/v1/customers",
            None,
            None,
        )
        .await;
    assert!(r.status == 404 || r.status == 405, "{}", r.text);
    assert_eq!(r.header("x-sumeru-stability"), Some("stable"));
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    let c = testkit::http();
    assert_eq!(
        c.get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        c.get(format!("{}/readyz", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[test]
fn the_idempotency_migration_is_the_crates_schema() {
    let copy = include_str!("../../migrations/2026-11-25-000000_idempotency/up.sql");
    assert_eq!(
        copy,
        idempotency::SCHEMA_SQL,
        "copy crates/idempotency/migrations/schema.sql into the migration"
    );
}
