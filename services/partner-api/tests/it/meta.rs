//! Contract files and operations: OpenAPI in sync, schema in sync with the migrations, seed.

use crate::helpers::TestApp;
use serde_json::Value;

#[tokio::test]
async fn openapi_file_is_current_and_served() {
    let generated = serde_json::to_string_pretty(&partner_api::openapi::document()).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.json is stale: run UPDATE_OPENAPI=1 cargo nextest run -p partner-api openapi"
    );
    let app = TestApp::spawn().await;
    let served: Value = app
        .client
        .get(format!("{}/api/partner/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(served, partner_api::openapi::document());
    assert_eq!(served["openapi"], "3.1.0");
    let params = served["paths"]["/api/partner/events"]["get"]["parameters"]
        .as_array()
        .unwrap();
    assert!(params.iter().any(|p| p["name"] == "q[orderId__not]"));
}

#[tokio::test]
async fn schema_matches_migrations() {
    let app = TestApp::spawn().await;
    testkit::schema_drift::assert_matches(
        &app.db_url,
        testkit::declared_tables!(partner_api::schema => projects,
            events,
            logs,
            sessions,
            ingest_dedup,
            event_dictionary),
        &[],
    )
    .await;
}

#[tokio::test]
async fn seed_makes_a_healthy_demo_project() {
    let app = TestApp::spawn().await;
    let config = partner_api::Config {
        database: service_kit::config::DatabaseConfig {
            url: service_kit::config::SecretUrl::new(app.db_url.clone()),
            pool_size: 4,
            run_migrations: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let args = partner_api::seed::SeedArgs {
        tenant: app.principal.tenant_id,
        project_id: app.project_id(),
        sessions: 6,
        events: 60,
        logs: 20,
    };
    let summary = partner_api::seed::run(config, args).await.unwrap();
    assert!(summary.contains("86 items accepted"), "{summary}");
    let h = app.ok("/api/partner/health").await;
    assert_eq!(h["status"], "healthy", "{h}");
    assert_eq!(h["sessionsLastHour"], 6);
    let conversions = app.ok("/api/partner/events?q[orderId__not]=").await;
    assert_eq!(conversions["totalCount"], 3);
    assert!(conversions["events"][0]["totalAmount"].is_number());
    assert_eq!(
        app.ok("/api/partner/logs?q[level__in]=error,warn&q[perPage]=20")
            .await["totalCount"],
        10
    );
    // The seed document's example user has a session and a purchase, so its curls return rows.
    let sessions = app
        .ok("/api/partner/sessions?q[externalUserId__eq]=user_7e2a9c")
        .await;
    assert_eq!(sessions["totalCount"], 1, "{sessions}");
    let purchases = app
        .ok("/api/partner/events?q[name__eq]=purchase&q[externalUserId__eq]=user_7e2a9c&q[timestamp__gte]=2026-04-01")
        .await;
    assert_eq!(purchases["totalCount"], 1, "{purchases}");
    // the seeded project is resolvable for ingest without auth
    let (s, _) = app
        .ingest(serde_json::json!({"projectId": app.project_id(), "events": [{"name": "x"}]}))
        .await;
    assert_eq!(s, reqwest::StatusCode::OK);
}

/// A known path with another method is 405 with `Allow`; HEAD answers wherever GET does.
#[tokio::test]
async fn wrong_methods_are_405_with_allow_and_head_works() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(format!("{}/sdk/ingest", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers()["allow"], "POST, OPTIONS");
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["error"]["code"], "method_not_allowed", "{b}");
    let res = app
        .client
        .delete(format!("{}/api/partner/events", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers()["allow"], "GET, HEAD");
    let res = app
        .client
        .head(format!("{}/api/partner/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.bytes().await.unwrap().is_empty());
}
