//! Pagination, body shapes, project isolation and authentication of the read API.

use crate::helpers::{TestApp, ago, names};
use auth_core::Product;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn events(n: usize, prefix: &str) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"name": format!("{prefix}{i:03}"), "timestamp": ago(50 - (i as i64 % 50)), "messageId": format!("{prefix}-{i}")}))
        .collect()
}

#[tokio::test]
async fn pages_and_total_count() {
    let app = TestApp::spawn().await;
    app.ingest_ok(json!({"events": events(120, "e")})).await;

    let first = app.ok("/api/partner/events").await;
    assert_eq!(first["events"].as_array().unwrap().len(), 50);
    assert_eq!(
        (
            first["totalCount"].clone(),
            first["page"].clone(),
            first["perPage"].clone()
        ),
        (json!(120), json!(1), json!(50))
    );

    let mut seen = Vec::new();
    for page in 1..=3 {
        let b = app
            .ok(&format!("/api/partner/events?q[page]={page}&q[perPage]=50"))
            .await;
        assert_eq!(b["totalCount"], 120, "page {page}");
        assert_eq!(b["page"], page);
        seen.extend(names(&b, "events", "id"));
    }
    assert_eq!(seen.len(), 120);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 120, "pages overlap");

    let last = app.ok("/api/partner/events?q[page]=3&q[perPage]=50").await;
    assert_eq!(last["events"].as_array().unwrap().len(), 20);
    let beyond = app.ok("/api/partner/events?q[page]=9&q[perPage]=50").await;
    assert_eq!(beyond["events"].as_array().unwrap().len(), 0);
    assert_eq!(beyond["totalCount"], 120);
    let max = app.ok("/api/partner/events?q[perPage]=200").await;
    assert_eq!(max["events"].as_array().unwrap().len(), 120);
    assert_eq!(max["perPage"], 200);
    let filtered = app
        .ok("/api/partner/events?q[name__like]=e00&q[perPage]=2")
        .await;
    assert_eq!(filtered["totalCount"], 10);
    assert_eq!(filtered["events"].as_array().unwrap().len(), 2);
    // default order: newest first; timestamps are non-increasing
    let ts = names(&first, "events", "timestamp");
    assert!(ts.windows(2).all(|w| w[0] >= w[1]), "{ts:?}");
}

#[tokio::test]
async fn bodies_have_the_seed_shape() {
    let app = TestApp::spawn().await;
    app.ingest_ok(json!({"events": [{"name": "purchase", "sessionId": "0190f000-0000-7000-8000-0000000000c1",
        "externalUserId": "user_7e2a9c", "url": "https://app.example.com/checkout", "platform": "Linux", "browser": "Chrome"}]}))
        .await;
    let b = app
        .ok("/api/partner/events?q[name__eq]=purchase&q[timestamp__gte]=2026-04-01")
        .await;
    let keys: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 4, "{keys:?}");
    let e = &b["events"][0];
    assert!(e["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(e["payload"], "{}");
    assert_eq!(e["sessionId"], "0190f000-0000-7000-8000-0000000000c1");
    assert_eq!(e["externalUserId"], "user_7e2a9c");
    assert_eq!(e["source"], "sdk");
    let ts = e["timestamp"].as_str().unwrap();
    assert!(ts.ends_with('Z') && ts.len() == 24, "{ts}");
    for f in [
        "orderId",
        "totalAmount",
        "currency",
        "productId",
        "utmSource",
        "utmMedium",
        "utmCampaign",
    ] {
        assert!(e.get(f).is_some_and(Value::is_null), "{f}");
    }
}

#[tokio::test]
async fn projects_are_isolated() {
    let app = TestApp::spawn().await;
    app.ingest_ok(
        json!({"events": events(3, "mine"), "logs": [{"level": "info", "message": "mine"}],
        "session": {"id": "0190f000-0000-7000-8000-0000000000e1"}}),
    )
    .await;
    let other = app.signer.principal(Product::Partner, &["read"]);
    for path in [
        "/api/partner/events",
        "/api/partner/logs",
        "/api/partner/sessions",
    ] {
        let (s, b) = app.get_as(&other, path).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(b["totalCount"], 0, "{path}: {b}");
        assert!(
            app.ok(path).await["totalCount"].as_i64().unwrap() > 0,
            "{path}"
        );
    }
    let (_, h) = app.get_as(&other, "/api/partner/health").await;
    assert_eq!(h["status"], "error");
    assert_eq!(h["projectId"], other.public_id.clone().unwrap());
    assert_eq!(h["eventsLastHour"], 0);
    // The other project ingesting under its own id does not leak into ours.
    let mut b = json!({"events": events(2, "theirs")});
    b["projectId"] = json!(other.public_id.clone().unwrap());
    assert_eq!(app.ingest(b).await.0, StatusCode::OK);
    assert_eq!(
        app.ok("/api/partner/events?q[name__like]=theirs").await["totalCount"],
        0
    );
    assert_eq!(
        app.get_as(&other, "/api/partner/events").await.1["totalCount"],
        2
    );
}

#[tokio::test]
async fn invalid_token_is_answered_by_the_service() {
    let app = TestApp::spawn().await;
    let url = format!("{}/api/partner/events", app.base);
    let other_signer = testkit::TestSigner::new();
    for auth in [
        None,
        Some("Bearer garbage".to_owned()),
        Some("Basic dXNlcjpwYXNz".to_owned()),
        Some(app.signer.bearer(&app.principal, "admin-api")),
        Some(other_signer.bearer(&app.principal, "partner-api")),
    ] {
        let mut req = app.client.get(&url);
        if let Some(a) = &auth {
            req = req.header("authorization", a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_token");
    }
    let no_scope = app.signer.principal(Product::Partner, &[]);
    let (s, b) = app.get_as(&no_scope, "/api/partner/health").await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("insufficient_scope"))
    );
}

#[tokio::test]
async fn total_count_falls_back_to_the_planner_estimate() {
    // A zero budget forces the fallback taken when the exact count exceeds its time budget.
    let app = TestApp::spawn_with(|c| c.query.count_timeout_ms = 0).await;
    app.ingest_ok(json!({"events": events(120, "e")})).await;
    let res = app
        .client
        .get(format!(
            "{}/api/partner/events?q[perPage]=50&q[page]=2",
            app.base
        ))
        .header(
            "authorization",
            app.signer.bearer(&app.principal, "partner-api"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers().get("x-total-count-estimated").unwrap(),
        "true"
    );
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["events"].as_array().unwrap().len(), 50);
    assert!(
        b["totalCount"].as_i64().unwrap() >= 100,
        "never less than the rows seen: {b}"
    );
    // the last page is still exact and unflagged
    let last = app.ok("/api/partner/events?q[perPage]=50&q[page]=3").await;
    assert_eq!(last["totalCount"], 120);
}
