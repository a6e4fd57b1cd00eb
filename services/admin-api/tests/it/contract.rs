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

#[test]
fn the_committed_openapi_document_is_current() {
    assert!(
        admin_api::openapi::undocumented().is_empty(),
        "undocumented: {:?}",
        admin_api::openapi::undocumented()
    );
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let generated = admin_api::openapi::pretty();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "services/admin-api/openapi.json is stale: run `UPDATE_OPENAPI=1 cargo nextest run -p admin-api openapi` (or `admin-api openapi > openapi.json`)"
    );
}

#[tokio::test]
async fn the_openapi_document_is_served_and_complete() {
    let app = TestApp::spawn().await;
    let r = testkit::http()
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert_eq!(doc, admin_api::openapi::document());
    assert_eq!(doc["openapi"], "3.1.0");
    for ep in admin_api::stability::ENDPOINTS {
        let op = &doc["paths"][ep.path][ep.method.to_lowercase()];
        assert!(op.is_object(), "{} {} missing", ep.method, ep.path);
        assert_eq!(op["x-sumeru-stability"], "stable");
        match ep.scope {
            Some(scope) => {
                assert_eq!(op["security"][0]["bearer"][0], scope);
                assert!(op["responses"]["403"].is_object());
            }
            None => assert!(op["responses"]["403"].is_null()),
        }
        if ep.method != "GET" {
            assert!(
                op["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|p| p["name"] == "Idempotency-Key")
            );
        }
    }
    // Filters of the worked example are documented.
    let params = doc["paths"]["/api/v1/customers"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for name in ["filter[lifecycle_stage]", "sort", "limit", "cursor"] {
        assert!(params.iter().any(|p| p["name"] == name), "{name}");
    }
    let attribution = doc["paths"]["/api/v1/attribution"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for name in ["filter[date_from]", "filter[date_to]", "include"] {
        assert!(attribution.iter().any(|p| p["name"] == name), "{name}");
    }
}

/// A known path with another method is 405 with `Allow`; HEAD answers wherever GET does.
#[tokio::test]
async fn wrong_methods_are_405_with_allow_and_head_works() {
    let app = crate::helpers::TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 3).await;
    let r = app
        .request(
            reqwest::Method::DELETE,
            Some(&shop),
            "/api/v1/campaigns",
            None,
            None,
        )
        .await;
    r.assert_error(405, "method_not_allowed");
    assert_eq!(r.header("allow"), Some("GET, HEAD, POST"));
    let r = app
        .request(
            reqwest::Method::GET,
            Some(&shop),
            "/api/v1/campaigns/cmp_x/launch",
            None,
            None,
        )
        .await;
    r.assert_error(405, "method_not_allowed");
    assert_eq!(r.header("allow"), Some("POST"));
    // Unknown paths stay 404.
    app.request(
        reqwest::Method::DELETE,
        Some(&shop),
        "/api/v1/nothing",
        None,
        None,
    )
    .await
    .assert_error(404, "not_found");
    let get = app.get(&shop, "/api/v1/customers?limit=2").await;
    get.assert(200);
    let head = app
        .request(
            reqwest::Method::HEAD,
            Some(&shop),
            "/api/v1/customers?limit=2",
            None,
            None,
        )
        .await;
    head.assert(200);
    assert!(head.text.is_empty());
    assert_eq!(head.header("content-type"), get.header("content-type"));
}
