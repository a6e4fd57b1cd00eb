//! The three health states and the one-hour counts.

use crate::helpers::{TestApp, ago};
use serde_json::json;

#[tokio::test]
async fn no_events_is_error() {
    let app = TestApp::spawn().await;
    let h = app.ok("/api/partner/health").await;
    assert_eq!(h["status"], "error");
    assert_eq!(h["projectId"], app.project_id());
    assert!(h["lastEventAt"].is_null() && h["lastLogAt"].is_null());
    assert_eq!(
        (
            h["eventsLastHour"].clone(),
            h["logsLastHour"].clone(),
            h["sessionsLastHour"].clone()
        ),
        (json!(0), json!(0), json!(0))
    );
}

#[tokio::test]
async fn recent_event_is_healthy_with_counts() {
    let app = TestApp::spawn().await;
    app.ingest_ok(json!({
        "events": [{"name": "a", "timestamp": ago(1)}, {"name": "b", "timestamp": ago(30)}, {"name": "old", "timestamp": ago(120)}],
        "logs": [{"level": "info", "message": "x", "timestamp": ago(2)}],
        "session": {"id": "0190f000-0000-7000-8000-0000000000f1"}
    }))
    .await;
    let h = app.ok("/api/partner/health").await;
    assert_eq!(h["status"], "healthy");
    // By arrival: the two-hour-old event (an offline queue flushed now) counts too.
    assert_eq!(h["eventsLastHour"], 3);
    assert_eq!(h["logsLastHour"], 1);
    assert_eq!(h["sessionsLastHour"], 1);
    let last = h["lastEventAt"].as_str().unwrap();
    assert!(last.ends_with('Z') && last.len() == 20, "{last}");
    assert!(h["lastLogAt"].is_string());
}

/// Moves the arrival time of every event of the app's project `minutes` back.
async fn received_ago(app: &TestApp, minutes: i64) {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(format!(
        "UPDATE events SET received_at = now() - interval '{minutes} minutes'"
    ))
    .execute(&mut app.sql().await)
    .await
    .unwrap();
}

#[tokio::test]
async fn an_offline_batch_of_old_events_received_now_is_healthy() {
    let app = TestApp::spawn().await;
    app.ingest_ok(json!({"events": [{"name": "a", "timestamp": ago(180)}]}))
        .await;
    let h = app.ok("/api/partner/health").await;
    assert_eq!(h["status"], "healthy", "{h}");
    assert_eq!(h["eventsLastHour"], 1);
}

#[tokio::test]
async fn event_received_half_an_hour_ago_is_warning() {
    let app = TestApp::spawn().await;
    app.ingest_ok(json!({"events": [{"name": "a", "timestamp": ago(1)}]}))
        .await;
    received_ago(&app, 30).await;
    assert_eq!(app.ok("/api/partner/health").await["status"], "warning");
}

#[tokio::test]
async fn event_received_two_hours_ago_is_error() {
    let app = TestApp::spawn().await;
    app.ingest_ok(json!({"events": [{"name": "a", "timestamp": ago(1)}]}))
        .await;
    received_ago(&app, 120).await;
    let h = app.ok("/api/partner/health").await;
    assert_eq!(h["status"], "error");
    assert_eq!(h["eventsLastHour"], 0);
    assert!(h["lastEventAt"].is_string());
}
