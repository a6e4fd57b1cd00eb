//! SDK ingest: dedup under concurrent retries, partial failure, clock skew, limits, metadata.

use crate::helpers::{TestApp, ago, names};
use diesel::{QueryableByName, sql_query, sql_types as st};
use diesel_async::RunQueryDsl;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = st::BigInt)]
    n: i64,
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut c = app.sql().await;
    sql_query(sql).get_result::<N>(&mut c).await.unwrap().n
}

#[tokio::test]
async fn concurrent_retries_are_deduplicated() {
    let app = TestApp::spawn().await;
    app.ok("/api/partner/health").await;
    let batch = json!({
        "projectId": app.project_id(),
        "events": (0..50).map(|i| json!({"name": "retry", "messageId": format!("m-{i}"), "payload": {"i": i}})).collect::<Vec<_>>(),
        "logs": (0..10).map(|i| json!({"level": "info", "message": "l", "clientId": format!("l-{i}")})).collect::<Vec<_>>(),
        "session": {"id": "0190f000-0000-7000-8000-0000000000aa"}
    });
    let attempts: Vec<_> = (0..8).map(|_| app.ingest(batch.clone())).collect();
    let results = futures_util::future::join_all(attempts).await;
    let (mut accepted, mut duplicates) = (0, 0);
    let mut ids: Option<Vec<String>> = None;
    for (s, b) in &results {
        assert_eq!(*s, StatusCode::OK, "{b}");
        accepted += b["accepted"].as_i64().unwrap();
        duplicates += b["duplicates"].as_i64().unwrap();
        // every attempt reports the same stored ids
        let these = names(b, "events", "id");
        if let Some(first) = &ids {
            assert_eq!(first, &these);
        }
        ids = Some(these);
    }
    assert_eq!(accepted, 61, "each item accepted exactly once");
    assert_eq!(duplicates, 61 * 7);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM events").await, 50);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM logs").await, 10);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM sessions").await, 1);
    assert_eq!(app.ok("/api/partner/events").await["totalCount"], 50);

    // duplicates inside one batch point at the first copy
    let b = app
        .ingest_ok(json!({"events": [{"name": "x", "messageId": "same"}, {"name": "x", "messageId": "same"}, {"name": "y"}, {"name": "y"}]}))
        .await;
    assert_eq!(b["events"][1]["status"], "duplicate");
    assert_eq!(b["events"][1]["id"], b["events"][0]["id"]);
    assert_eq!(
        (b["accepted"].clone(), b["duplicates"].clone()),
        (json!(3), json!(1)),
        "without messageId nothing is deduplicated"
    );
}

#[tokio::test]
async fn invalid_items_are_rejected_one_by_one() {
    let app = TestApp::spawn().await;
    let b = app
        .ingest_ok(json!({
            "events": [
                {"name": "ok"},
                {"payload": {}},
                {"name": "bad_session", "sessionId": "nope"},
                {"name": "bad_time", "timestamp": "yesterday"},
                {"name": "bad_amount", "totalAmount": "ten"},
                {"name": "bad_currency", "currency": "dollars"},
                {"name": "bad_payload", "payload": [1, 2]},
                {"name": "big", "payload": {"blob": "x".repeat(40_000)}},
                "not an object",
                {"name": "ok2", "orderId": "o1", "totalAmount": "12.50", "currency": "eur"}
            ],
            "logs": [{"level": "fatal", "message": "x"}, {"level": "warn", "message": "fine"}, {"level": "info"}],
            "session": {"deviceId": "0190f000-0000-7000-8000-0000000000aa"}
        }))
        .await;
    assert_eq!(
        (b["accepted"].clone(), b["rejected"].clone()),
        (json!(3), json!(11)),
        "{b}"
    );
    let statuses = names(&b, "events", "status");
    assert_eq!(
        statuses,
        [
            "accepted", "rejected", "rejected", "rejected", "rejected", "rejected", "rejected",
            "rejected", "rejected", "accepted"
        ]
    );
    let fields: Vec<Value> = b["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(
        fields[1..8],
        [
            json!("name"),
            json!("sessionId"),
            json!("timestamp"),
            json!("totalAmount"),
            json!("currency"),
            json!("payload"),
            json!("payload")
        ]
    );
    assert_eq!(b["events"][2]["index"], 2);
    assert_eq!(b["events"][2]["code"], "validation_failed");
    assert!(
        b["events"][2]["message"]
            .as_str()
            .unwrap()
            .contains("sessionId")
    );
    assert_eq!(
        names(&b, "logs", "status"),
        ["rejected", "accepted", "rejected"]
    );
    assert_eq!(b["session"]["status"], "rejected");
    assert_eq!(b["session"]["field"], "id");
    // the valid ones are stored
    let stored = app.ok("/api/partner/events?q[orderId__not]=").await;
    assert_eq!(stored["events"][0]["totalAmount"], 12.5);
    assert_eq!(stored["events"][0]["currency"], "EUR");
    assert_eq!(app.ok("/api/partner/events").await["totalCount"], 2);
}

#[tokio::test]
async fn client_clock_skew_is_corrected_and_future_times_clamped() {
    let app = TestApp::spawn().await;
    // the client's clock runs two hours behind: its "now" is ago(120)
    let b = app
        .ingest_ok(json!({"sentAt": ago(120), "events": [{"name": "skewed", "timestamp": ago(121)}, {"name": "no_time"}]}))
        .await;
    let skew = b["clockSkewMs"].as_i64().unwrap();
    assert!((7_190_000..7_210_000).contains(&skew), "{skew}");
    let h = app.ok("/api/partner/health").await;
    assert_eq!(
        h["status"], "healthy",
        "the corrected event is a minute old: {h}"
    );
    let e = app.ok("/api/partner/events?q[name__eq]=skewed").await;
    let ts = time::OffsetDateTime::parse(
        e["events"][0]["timestamp"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let age = time::OffsetDateTime::now_utc() - ts;
    assert!(
        age > time::Duration::seconds(50) && age < time::Duration::seconds(90),
        "{age}"
    );

    // without sentAt, a timestamp far in the future is clamped to the receive time
    let b = app
        .ingest_ok(json!({"events": [{"name": "future", "timestamp": "2099-01-01T00:00:00Z"}]}))
        .await;
    let e = app.ok("/api/partner/events?q[name__eq]=future").await;
    assert_eq!(&e["events"][0]["timestamp"], &b["receivedAt"]);
    // sentAt must parse
    let (s, err) = app
        .ingest(json!({"projectId": app.project_id(), "sentAt": "soon", "events": []}))
        .await;
    assert_eq!(
        (s, err["error"]["details"]["field"].as_str()),
        (StatusCode::BAD_REQUEST, Some("sentAt"))
    );
}

#[tokio::test]
async fn limits_are_enforced() {
    let app = TestApp::spawn().await;
    app.ok("/api/partner/health").await;
    let pid = app.project_id();
    let many: Vec<Value> = (0..501).map(|i| json!({"name": format!("e{i}")})).collect();
    let (s, b) = app.ingest(json!({"projectId": pid, "events": many})).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
        "{b}"
    );
    let split: Vec<Value> = (0..300).map(|i| json!({"name": format!("e{i}")})).collect();
    let logs: Vec<Value> = (0..201)
        .map(|_| json!({"level": "info", "message": "m"}))
        .collect();
    let (s, _) = app
        .ingest(json!({"projectId": pid, "events": split, "logs": logs}))
        .await;
    assert_eq!(
        s,
        StatusCode::PAYLOAD_TOO_LARGE,
        "events and logs count together"
    );
    // exactly 500 is fine
    let ok: Vec<Value> = (0..500).map(|i| json!({"name": format!("e{i}")})).collect();
    let (s, b) = app.ingest(json!({"projectId": pid, "events": ok})).await;
    assert_eq!((s, b["accepted"].as_i64()), (StatusCode::OK, Some(500)));
    // more than 1 MB
    let big: Vec<Value> = (0..100)
        .map(|_| json!({"name": "big", "payload": {"blob": "x".repeat(12_000)}}))
        .collect();
    let (s, b) = app.ingest(json!({"projectId": pid, "events": big})).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
        "{b}"
    );
    // malformed bodies
    let res = app
        .client
        .post(format!("{}/sdk/ingest", app.base))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["error"]["code"], "invalid_json", "{b}");
    // The browser SDK's text/plain (no preflight) is JSON too; a form body is 415.
    let res = app
        .client
        .post(format!("{}/sdk/ingest", app.base))
        .header("content-type", "text/plain;charset=UTF-8")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = app
        .client
        .post(format!("{}/sdk/ingest", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("projectId=x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["error"]["code"], "unsupported_media_type", "{b}");
    let (s, b) = app.ingest(json!({"events": []})).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation_failed"))
    );
    let (s, _) = app
        .ingest(json!({"projectId": pid, "source": "carrier-pigeon"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn metadata_goes_to_the_dictionary_and_source_is_recorded() {
    let app = TestApp::spawn().await;
    app.ingest_ok(json!({"source": "backend", "events": [
        {"name": "checkout", "payload": {"_category": "commerce", "_feature": "cart", "_surface": "web", "items": 2}},
        {"name": "checkout", "source": "import", "payload": {"_feature": "express"}}
    ]}))
    .await;
    let e = app
        .ok("/api/partner/events?q[timestamp__order]=asc&q[id__order]=asc")
        .await;
    let payloads = names(&e, "events", "payload");
    assert!(
        payloads.contains(&"{\"items\":2}".to_owned()),
        "{payloads:?}"
    );
    assert!(payloads.contains(&"{}".to_owned()), "{payloads:?}");
    let mut sources = names(&e, "events", "source");
    sources.sort();
    assert_eq!(sources, ["backend", "import"]);

    #[derive(QueryableByName)]
    struct Dict {
        #[diesel(sql_type = st::Nullable<st::Text>)]
        category: Option<String>,
        #[diesel(sql_type = st::Nullable<st::Text>)]
        feature: Option<String>,
        #[diesel(sql_type = st::Nullable<st::Text>)]
        surface: Option<String>,
    }
    let mut c = app.sql().await;
    let d: Dict = sql_query(
        "SELECT category, feature, surface FROM event_dictionary WHERE event_name = 'checkout'",
    )
    .get_result(&mut c)
    .await
    .unwrap();
    assert_eq!(d.category.as_deref(), Some("commerce"));
    assert_eq!(
        d.feature.as_deref(),
        Some("express"),
        "the latest value wins"
    );
    assert_eq!(d.surface.as_deref(), Some("web"));
}

#[tokio::test]
async fn old_and_future_months_get_partitions_or_the_default() {
    let app = TestApp::spawn().await;
    app.ingest_ok(json!({"events": [{"name": "old", "timestamp": "2024-03-05T10:00:00Z"}, {"name": "now", "timestamp": ago(1)}]})).await;
    // the old month got its own partition at ingest; nothing lands in the default partition
    assert_eq!(
        count(
            &app,
            "SELECT count(*) AS n FROM pg_class WHERE relname = 'events_202403'"
        )
        .await,
        1
    );
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM events_default").await,
        0
    );
    assert_eq!(
        app.ok("/api/partner/events?q[timestamp__lte]=2024-12-31")
            .await["totalCount"],
        1
    );
}

#[tokio::test]
async fn overlapping_batches_in_opposite_orders_do_not_deadlock() {
    let app = TestApp::spawn().await;
    app.ok("/api/partner/health").await;
    let ids: Vec<String> = (0..100).map(|i| format!("x-{i:03}")).collect();
    let batch = |rev: bool| {
        let mut ids = ids.clone();
        if rev {
            ids.reverse();
        }
        json!({"projectId": app.project_id(), "events": ids.iter().map(|m| json!({"name": "cross", "messageId": m})).collect::<Vec<_>>()})
    };
    let attempts: Vec<_> = (0..8).map(|i| app.ingest(batch(i % 2 == 1))).collect();
    let results = futures_util::future::join_all(attempts).await;
    let accepted: i64 = results
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, StatusCode::OK, "{b}");
            b["accepted"].as_i64().unwrap()
        })
        .sum();
    assert_eq!(accepted, 100);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM events").await, 100);
}

/// PostgreSQL cannot store NUL: such items are rejected like any invalid value, never a 500.
#[tokio::test]
async fn nul_characters_are_rejected_not_500() {
    let app = TestApp::spawn().await;
    let b = app
        .ingest_ok(json!({
            "events": [
                {"name": "a\u{0}b"},
                {"name": "ok", "payload": {"note": "x\u{0}"}},
                {"name": "ok", "payload": {"k\u{0}": 1}},
                {"name": "clean"}
            ],
            "logs": [{"level": "info", "message": "m\u{0}"}]
        }))
        .await;
    assert_eq!(
        names(&b, "events", "status"),
        ["rejected", "rejected", "rejected", "accepted"],
        "{b}"
    );
    assert_eq!(names(&b, "logs", "status"), ["rejected"], "{b}");
    // and in the query DSL: 400 invalid_q naming the parameter
    let (status, body) = app.get("/api/partner/events?q[name__eq]=a%00b").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_q");
    assert_eq!(body["error"]["details"]["parameter"], "q[name__eq]");
}

/// CORS on ingest only: preflight, `Access-Control-Allow-Origin` on answers and errors
/// (`*` by default), an allow-list when configured; the bearer routes send no CORS headers.
#[tokio::test]
async fn ingest_answers_cors_and_bearer_routes_do_not() {
    let app = TestApp::spawn().await;
    let origin = "https://shop.example";
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/sdk/ingest", app.base))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        res.headers()["access-control-allow-methods"],
        "POST, OPTIONS"
    );
    assert_eq!(
        res.headers()["access-control-allow-headers"],
        "Content-Type"
    );
    let post = |body: &'static str| {
        app.client
            .post(format!("{}/sdk/ingest", app.base))
            .header("origin", origin)
            .header("content-type", "text/plain")
            .body(body)
            .send()
    };
    let res = post("{nope").await.unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let res = app
        .client
        .get(format!("{}/api/partner/events", app.base))
        .header("origin", origin)
        .header(
            "authorization",
            app.signer.bearer(&app.principal, "partner-api"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers().get("access-control-allow-origin").is_none());

    // An allow-list echoes a listed origin (with Vary) and ignores others.
    let listed = TestApp::spawn_with(|c| {
        c.ingest.cors_allowed_origins = vec![origin.to_owned()];
    })
    .await;
    listed.ok("/api/partner/health").await; // registers the project
    for (from, expected) in [(origin, Some(origin)), ("https://evil.example", None)] {
        let res = listed
            .client
            .post(format!("{}/sdk/ingest", listed.base))
            .header("origin", from)
            .header("content-type", "application/json")
            .body(json!({"projectId": listed.project_id(), "events": [{"name": "a"}]}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap()),
            expected
        );
    }
}
