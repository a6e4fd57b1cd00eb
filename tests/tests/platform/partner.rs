//! The Partner API seed's curls and the SDK ingest, through the gateway.

use crate::harness::{Platform, json};
use testkit::reqwest::Method;

const HOST: &str = "partner.localhost";

#[tokio::test]
async fn the_seed_curls_and_ingest_work_through_the_gateway() {
    let p = Platform::start().await;
    let (project, key) = p.tenant_with_key("partner", "read", "starter");
    let tenant = project["id"].as_str().unwrap();
    let public_id = project["public_id"].as_str().unwrap();
    assert!(public_id.starts_with("proj_"));
    p.seed(
        "partner-api",
        ("PARTNER_API__DATABASE__URL", &p.partner_db),
        &["--tenant", tenant, "--project-id", public_id],
    );

    let (status, headers, health) = json(
        p.get(HOST, "/api/partner/health", Some(&key))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{health}");
    assert!(headers.contains_key("x-ratelimit-remaining"));
    assert_eq!(health["status"], "healthy");
    assert_eq!(health["projectId"], public_id);
    for f in [
        "lastEventAt",
        "lastLogAt",
        "eventsLastHour",
        "logsLastHour",
        "sessionsLastHour",
    ] {
        assert!(health.get(f).is_some(), "{f} missing: {health}");
    }

    let (status, _, body) = json(
        p.get(
            HOST,
            "/api/partner/events?q[name__eq]=purchase&q[timestamp__gte]=2026-04-01",
            Some(&key),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["page"].as_u64(), body["perPage"].as_u64()),
        (Some(1), Some(50))
    );
    assert!(body["totalCount"].as_u64().unwrap() > 0);
    for e in body["events"].as_array().unwrap() {
        assert_eq!(e["name"], "purchase");
        assert!(e["payload"].is_string());
    }

    let (status, _, body) = json(
        p.get(
            HOST,
            "/api/partner/logs?q[level__in]=error,warn&q[perPage]=20",
            Some(&key),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["perPage"], 20);
    for l in body["logs"].as_array().unwrap() {
        assert!(l["level"] == "error" || l["level"] == "warn");
    }

    let (status, _, body) = json(
        p.get(
            HOST,
            "/api/partner/sessions?q[externalUserId__eq]=user_7e2a9c",
            Some(&key),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["sessions"].is_array());

    let (status, headers, body) = json(
        p.get(HOST, "/api/partner/events?q[bogus__eq]=1", Some(&key))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_q");
    assert_eq!(
        body["error"]["request_id"],
        headers["x-request-id"].to_str().unwrap()
    );

    // Ingest without a bearer token, then read the event back.
    let batch = serde_json::json!({
        "projectId": public_id,
        "events": [{ "name": "bb_signup", "clientId": "bb-evt-1", "externalUserId": "user_bb" }],
    });
    for _ in 0..2 {
        let (status, _, body) = json(
            p.request(Method::POST, HOST, "/sdk/ingest", None)
                .json(&batch)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!((200..300).contains(&status), "{status} {body}");
    }
    let (_, _, body) = json(
        p.get(
            HOST,
            "/api/partner/events?q[name__eq]=bb_signup",
            Some(&key),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(
        body["totalCount"], 1,
        "a retried batch is stored once: {body}"
    );
}
