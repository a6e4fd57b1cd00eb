//! Credits: 402 with the shortfall, exactly-N under concurrency, cancel with refund.

use crate::harness::TestApp;
use serde_json::json;

#[tokio::test]
async fn insufficient_credits_names_the_shortfall() {
    let app = TestApp::spawn().await;
    let key = app.key("live");
    app.fund(&key, "starter", 10).await;
    let r = app
        .post(
            &key,
            "/api/v1/images/generations",
            &json!({"prompt": "x", "image_count": 3}),
        )
        .await;
    r.assert_error(402, "insufficient_credits");
    assert_eq!(
        r.body["error"]["details"],
        json!({"required": 12, "available": 10, "shortfall": 2})
    );
    app.post(
        &key,
        "/api/v1/images/generations",
        &json!({"prompt": "x", "image_count": 2}),
    )
    .await
    .assert(202);
    let r = app
        .post(&key, "/api/v1/images/generations", &json!({"prompt": "x"}))
        .await;
    r.assert_error(402, "insufficient_credits");
    assert_eq!(r.body["error"]["details"]["available"], 2);
}

#[tokio::test]
async fn twenty_concurrent_creates_against_a_balance_for_six_make_six_jobs() {
    let app = TestApp::spawn().await;
    let key = app.key("live");
    app.fund(&key, "enterprise", 24).await; // 6 images of 4 credits
    let mut tasks = Vec::new();
    let app = std::sync::Arc::new(app);
    for i in 0..20 {
        let app = app.clone();
        let key = key.clone();
        tasks.push(tokio::spawn(async move {
            app.post(
                &key,
                "/api/v1/images/generations",
                &json!({"prompt": format!("concurrent {i}")}),
            )
            .await
        }));
    }
    let mut created = 0;
    let mut refused = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status {
            202 => created += 1,
            402 => {
                assert_eq!(r.code(), "insufficient_credits");
                refused += 1;
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!((created, refused), (6, 14));
    let credits = app.get(&key, "/api/v1/credits").await;
    assert_eq!(
        (
            credits.body["reserved"].as_i64(),
            credits.body["available"].as_i64()
        ),
        (Some(24), Some(0))
    );
    assert_eq!(
        app.get(&key, "/api/v1/jobs").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
}

#[tokio::test]
async fn canceling_a_queued_job_releases_its_credits() {
    let app = TestApp::spawn().await;
    let key = app.key("live");
    app.fund(&key, "starter", 20).await;
    let r = app
        .post(
            &key,
            "/api/v1/videos/generations",
            &json!({"prompt": "x", "duration_s": 5}),
        )
        .await;
    r.assert(202);
    let id = r.body["id"].as_str().unwrap();
    assert_eq!(app.get(&key, "/api/v1/credits").await.body["available"], 10);
    let c = app
        .post(&key, &format!("/api/v1/jobs/{id}/cancel"), &json!({}))
        .await;
    c.assert(200);
    assert_eq!(c.body["status"], "canceled");
    assert_eq!(c.body["credits"]["charged"], 0);
    assert!(c.body["completed_at"].is_string());
    let credits = app.get(&key, "/api/v1/credits").await;
    assert_eq!(
        (
            credits.body["available"].as_i64(),
            credits.body["reserved"].as_i64()
        ),
        (Some(20), Some(0))
    );
    app.post(&key, &format!("/api/v1/jobs/{id}/cancel"), &json!({}))
        .await
        .assert_error(409, "invalid_state");
    let result = app.get(&key, &format!("/api/v1/jobs/{id}/result")).await;
    result.assert_error(409, "job_not_succeeded");
    assert_eq!(result.body["error"]["details"]["status"], "canceled");
    // The ledger tells the story: reserve then release, append-only.
    let mut conn = app.conn().await;
    #[derive(diesel::QueryableByName)]
    struct K {
        #[diesel(sql_type = diesel::sql_types::Text)]
        kind: String,
    }
    let kinds: Vec<K> = diesel_async::RunQueryDsl::load(
        diesel::sql_query("SELECT kind FROM credit_ledger WHERE job_id IS NOT NULL ORDER BY id"),
        &mut conn,
    )
    .await
    .unwrap();
    assert_eq!(
        kinds.iter().map(|k| k.kind.as_str()).collect::<Vec<_>>(),
        vec!["reserve", "release"]
    );
}
