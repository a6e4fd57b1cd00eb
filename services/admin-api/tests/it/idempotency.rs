//! Idempotency-Key on POST and PATCH: replay, mismatch, in use, concurrency, expiry, per tenant.

use crate::helpers::TestApp;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn same_key_and_body_replays_the_first_response() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 20).await;
    let audience = audience_of(&app, &shop).await;
    let body = json!({ "name": "Spring Sale", "audience_id": audience, "channel": "email" });
    let first = app
        .post(
            &shop,
            "/api/v1/campaigns",
            Some(&body),
            Some("my-campaign-2026-05-10-spring"),
        )
        .await;
    first.assert(201);
    assert!(first.header("idempotent-replayed").is_none());
    // Same body, other formatting and key order: still the same request.
    let reordered = json!({ "channel": "email", "audience_id": audience, "name": "Spring Sale" });
    let second = app
        .post(
            &shop,
            "/api/v1/campaigns",
            Some(&reordered),
            Some("my-campaign-2026-05-10-spring"),
        )
        .await;
    second.assert(201);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(second.text, first.text);
    assert_eq!(
        app.count(&format!(
            "campaigns WHERE tenant_id = '{}' AND name = 'Spring Sale'",
            shop.tenant()
        ))
        .await,
        1
    );

    // A different body with the same key → 409 idempotency_key_reused, no effect.
    let other = json!({ "name": "Summer Sale", "audience_id": audience });
    let r = app
        .post(
            &shop,
            "/api/v1/campaigns",
            Some(&other),
            Some("my-campaign-2026-05-10-spring"),
        )
        .await;
    r.assert_error(409, "idempotency_key_reused");
    assert_eq!(
        app.count(&format!(
            "campaigns WHERE tenant_id = '{}' AND name = 'Summer Sale'",
            shop.tenant()
        ))
        .await,
        0
    );
    // The same key on another endpoint is a different request too.
    let id = app.first_id(&shop, "/api/v1/customers?limit=1").await;
    app.patch(
        &shop,
        &format!("/api/v1/customers/{id}"),
        &json!({"data":{"attributes":{"tags":["a"]}}}),
        Some("my-campaign-2026-05-10-spring"),
    )
    .await
    .assert_error(409, "idempotency_key_reused");
}

#[tokio::test]
async fn keys_are_per_shop() {
    let app = TestApp::spawn().await;
    let a = app.shop();
    let b = app.shop();
    app.seed(&a, 10).await;
    app.seed(&b, 10).await;
    let ra = app
        .post(
            &a,
            "/api/v1/journeys",
            Some(&json!({"name":"Welcome","trigger":"signup"})),
            Some("k1"),
        )
        .await;
    ra.assert(201);
    let rb = app
        .post(
            &b,
            "/api/v1/journeys",
            Some(&json!({"name":"Welcome","trigger":"signup"})),
            Some("k1"),
        )
        .await;
    rb.assert(201);
    assert!(rb.header("idempotent-replayed").is_none());
    assert_ne!(ra.body["data"]["id"], rb.body["data"]["id"]);
}

#[tokio::test]
async fn failed_requests_are_not_remembered() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 10).await;
    let r = app
        .post(
            &shop,
            "/api/v1/campaigns",
            Some(&json!({"name":"x","audience_id":"aud_missing"})),
            Some("k"),
        )
        .await;
    r.assert_error(400, "validation_failed");
    assert_eq!(
        app.count(&format!(
            "idempotency_keys WHERE tenant_id = '{}'",
            shop.tenant()
        ))
        .await,
        0
    );
    // Retrying with a corrected body under the same key works.
    let audience = audience_of(&app, &shop).await;
    app.post(
        &shop,
        "/api/v1/campaigns",
        Some(&json!({"name":"x","audience_id":audience})),
        Some("k"),
    )
    .await
    .assert(201);
}

#[tokio::test]
async fn a_key_in_flight_is_refused_with_in_use() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 10).await;
    let id = app
        .first_id(&shop, "/api/v1/campaigns?filter[status]=draft&limit=1")
        .await;
    // Hold the campaign's row lock so the first launch stays inside its transaction.
    use diesel_async::{AsyncConnection, RunQueryDsl};
    let mut blocker = app.db().await;
    type Tm = <diesel_async::AsyncPgConnection as AsyncConnection>::TransactionManager;
    <Tm as diesel_async::TransactionManager<_>>::begin_transaction(&mut blocker)
        .await
        .unwrap();
    diesel::sql_query(format!(
        "SELECT 1 FROM campaigns WHERE tenant_id = '{}' AND id = '{id}' FOR UPDATE",
        shop.tenant()
    ))
    .execute(&mut blocker)
    .await
    .unwrap();

    let path = format!("/api/v1/campaigns/{id}/launch");
    let first = {
        let app_base = app.base.clone();
        let bearer = shop.bearer.clone();
        let path = path.clone();
        tokio::spawn(async move {
            testkit::http()
                .post(format!("{app_base}{path}"))
                .header("authorization", bearer)
                .header("idempotency-key", "launch-once")
                .send()
                .await
                .unwrap()
        })
    };
    // Wait until the first request holds the key's advisory lock.
    let mut waited = 0;
    while app.count("pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").await == 0 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += 1;
        assert!(waited < 500, "first request never took the key");
    }
    let second = app.post(&shop, &path, None, Some("launch-once")).await;
    second.assert_error(409, "idempotency_key_in_use");

    <Tm as diesel_async::TransactionManager<_>>::commit_transaction(&mut blocker)
        .await
        .unwrap();
    let first = first.await.unwrap();
    assert_eq!(first.status().as_u16(), 200);
    let third = app.post(&shop, &path, None, Some("launch-once")).await;
    third.assert(200);
    assert_eq!(third.header("idempotent-replayed"), Some("true"));
}

#[tokio::test]
async fn ten_concurrent_requests_with_one_key_have_exactly_one_effect() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 10).await;
    let body = json!({ "title": "Concurrent Mug", "sku": "CONC-1", "price": 12.5 });
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let url = format!("{}/api/v1/products", app.base);
        let bearer = shop.bearer.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move {
            let r = testkit::http()
                .post(url)
                .header("authorization", bearer)
                .header("idempotency-key", "ten-at-once")
                .json(&body)
                .send()
                .await
                .unwrap();
            let replayed = r.headers().contains_key("idempotent-replayed");
            let status = r.status().as_u16();
            let v: serde_json::Value = r.json().await.unwrap();
            (status, replayed, v)
        }));
    }
    let mut fresh = 0;
    let mut ids = std::collections::HashSet::new();
    for t in tasks {
        let (status, replayed, v) = t.await.unwrap();
        match status {
            201 => {
                if !replayed {
                    fresh += 1;
                }
                ids.insert(v["data"]["id"].as_str().unwrap().to_owned());
            }
            409 => assert_eq!(v["error"]["code"], "idempotency_key_in_use"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    assert_eq!(fresh, 1, "exactly one request performed the effect");
    assert_eq!(ids.len(), 1, "every success carries the same product");
    assert_eq!(
        app.count(&format!(
            "products WHERE tenant_id = '{}' AND sku = 'CONC-1'",
            shop.tenant()
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "idempotency_keys WHERE tenant_id = '{}'",
            shop.tenant()
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn expired_keys_are_forgotten_and_purged() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 10).await;
    app.post(
        &shop,
        "/api/v1/journeys",
        Some(&json!({"name":"A","trigger":"signup"})),
        Some("old"),
    )
    .await
    .assert(201);
    app.post(
        &shop,
        "/api/v1/journeys",
        Some(&json!({"name":"B","trigger":"signup"})),
        Some("other-old"),
    )
    .await
    .assert(201);
    app.exec(&format!("UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE tenant_id = '{}'", shop.tenant()))
        .await;
    // After expiry the key is free again: a new body runs fresh.
    let r = app
        .post(
            &shop,
            "/api/v1/journeys",
            Some(&json!({"name":"C","trigger":"winback"})),
            Some("old"),
        )
        .await;
    r.assert(201);
    assert!(r.header("idempotent-replayed").is_none());
    // The write purged the tenant's other expired key.
    assert_eq!(
        app.count(&format!(
            "idempotency_keys WHERE tenant_id = '{}' AND key = 'other-old'",
            shop.tenant()
        ))
        .await,
        0
    );
    assert_eq!(
        app.count(&format!(
            "idempotency_keys WHERE tenant_id = '{}'",
            shop.tenant()
        ))
        .await,
        1
    );
}

#[tokio::test]
async fn bad_keys_are_refused() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    let long = "k".repeat(256);
    let r = app
        .post(
            &shop,
            "/api/v1/journeys",
            Some(&json!({"name":"A","trigger":"signup"})),
            Some(&long),
        )
        .await;
    r.assert_error(400, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "Idempotency-Key");
}

pub async fn audience_of(app: &TestApp, shop: &crate::helpers::Shop) -> String {
    let r = app.get(shop, "/api/v1/campaigns?limit=1").await;
    r.data()[0]["attributes"]["audience_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_retry_replays_before_the_body_is_validated_again() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 5).await;
    let audience = audience_of(&app, &shop).await;
    let soon = time::OffsetDateTime::now_utc() + Duration::from_secs(2);
    let soon = soon
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    let body = json!({ "name": "Flash", "audience_id": audience, "scheduled_at": soon });
    let first = app
        .post(&shop, "/api/v1/campaigns", Some(&body), Some("flash-retry"))
        .await;
    first.assert(201);
    // scheduled_at has now passed: a fresh request would be a 400, the retry replays.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let retry = app
        .post(&shop, "/api/v1/campaigns", Some(&body), Some("flash-retry"))
        .await;
    retry.assert(201);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.text, first.text);
    // Without the key the same body is validated: 400.
    app.post(&shop, "/api/v1/campaigns", Some(&body), None)
        .await
        .assert_error(400, "validation_failed");
}
