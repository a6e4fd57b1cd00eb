//! Campaigns: list, create (validation in the seed's words), launch (state machine).

use crate::{helpers::TestApp, idempotency::audience_of};
use serde_json::json;

#[tokio::test]
async fn creating_without_audience_fails_in_the_seeds_words() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    for body in [
        json!({ "name": "Spring Sale" }),
        json!({ "data": { "attributes": { "name": "Spring Sale" } } }),
    ] {
        let r = app
            .post(&shop, "/api/v1/campaigns", Some(&body), None)
            .await;
        r.assert_error(400, "validation_failed");
        assert_eq!(
            r.body["error"]["message"],
            "audience_id required for campaign creation"
        );
        assert_eq!(
            r.body["error"]["details"],
            json!({ "field": "audience_id" })
        );
        assert_eq!(
            r.body["error"]["request_id"].as_str().unwrap(),
            r.header("x-request-id").unwrap()
        );
    }
}

#[tokio::test]
async fn create_list_and_launch() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 30).await;
    let audience = audience_of(&app, &shop).await;
    let r = app
        .post(
            &shop,
            "/api/v1/campaigns",
            Some(&json!({ "data": { "type": "campaign", "attributes": { "name": "Spring Sale", "audience_id": audience, "channel": "sms" } } })),
            Some("create-1"),
        )
        .await;
    r.assert(201);
    let id = r.body["data"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("cam_"));
    assert_eq!(r.body["data"]["attributes"]["status"], "draft");
    assert_eq!(r.body["data"]["attributes"]["channel"], "sms");
    assert_eq!(r.body["data"]["attributes"]["recipients_count"], 0);

    let listed = app
        .get(&shop, "/api/v1/campaigns?sort=-created_at&limit=1")
        .await;
    assert_eq!(listed.ids(), vec![id.clone()]);

    let launched = app
        .post(&shop, &format!("/api/v1/campaigns/{id}/launch"), None, None)
        .await;
    launched.assert(200);
    assert_eq!(launched.body["data"]["attributes"]["status"], "active");
    assert!(
        launched.body["data"]["attributes"]["recipients_count"]
            .as_i64()
            .unwrap()
            > 0
    );

    let again = app
        .post(&shop, &format!("/api/v1/campaigns/{id}/launch"), None, None)
        .await;
    again.assert_error(409, "invalid_state");
    assert_eq!(again.body["error"]["details"]["status"], "active");
    for status in ["completed", "cancelled"] {
        let other = app
            .first_id(
                &shop,
                &format!("/api/v1/campaigns?filter[status]={status}&limit=1"),
            )
            .await;
        app.post(
            &shop,
            &format!("/api/v1/campaigns/{other}/launch"),
            None,
            None,
        )
        .await
        .assert_error(409, "invalid_state");
    }
    // A scheduled campaign can be launched early.
    let scheduled = app
        .first_id(&shop, "/api/v1/campaigns?filter[status]=scheduled&limit=1")
        .await;
    app.post(
        &shop,
        &format!("/api/v1/campaigns/{scheduled}/launch"),
        None,
        None,
    )
    .await
    .assert(200);
    app.post(
        &shop,
        "/api/v1/campaigns/cam_doesnotexist/launch",
        None,
        None,
    )
    .await
    .assert_error(404, "not_found");
    app.post(&shop, "/api/v1/campaigns/nonsense/launch", None, None)
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn campaign_validation_names_fields() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 10).await;
    let audience = audience_of(&app, &shop).await;
    for (body, field) in [
        (json!({ "audience_id": audience }), "name"),
        (json!({ "name": "", "audience_id": audience }), "name"),
        (json!({ "name": 5, "audience_id": audience }), "name"),
        (
            json!({ "name": "x", "audience_id": audience, "channel": "fax" }),
            "channel",
        ),
        (
            json!({ "name": "x", "audience_id": audience, "scheduled_at": "tomorrow" }),
            "scheduled_at",
        ),
        (
            json!({ "name": "x", "audience_id": audience, "scheduled_at": "2020-01-01T00:00:00Z" }),
            "scheduled_at",
        ),
        (
            json!({ "name": "x", "audience_id": audience, "status": "active" }),
            "status",
        ),
        (
            json!({ "name": "x", "audience_id": audience, "colour": "red" }),
            "colour",
        ),
    ] {
        let r = app
            .post(&shop, "/api/v1/campaigns", Some(&body), None)
            .await;
        r.assert_error(400, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field, "{body}");
    }
    let r = app
        .post(&shop, "/api/v1/campaigns", Some(&json!({ "name": "Later", "audience_id": audience, "scheduled_at": "2030-01-01T09:00:00Z" })), None)
        .await;
    r.assert(201);
    assert_eq!(r.body["data"]["attributes"]["status"], "scheduled");
    assert_eq!(
        r.body["data"]["attributes"]["scheduled_at"],
        "2030-01-01T09:00:00Z"
    );
    // Not JSON at all.
    let raw = testkit::http()
        .post(format!("{}/api/v1/campaigns", app.base))
        .header("authorization", &shop.bearer)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let body: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_json", "{body}");
}

/// A write body that is not declared JSON is 415; JSON:API's media type is JSON.
#[tokio::test]
async fn a_write_body_must_be_declared_json() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 5).await;
    let audience = audience_of(&app, &shop).await;
    let body = json!({ "name": "Typed", "audience_id": audience }).to_string();
    let send = |content_type: Option<&'static str>| {
        let mut req = testkit::http()
            .post(format!("{}/api/v1/campaigns", app.base))
            .header("authorization", &shop.bearer)
            .body(body.clone());
        if let Some(t) = content_type {
            req = req.header("content-type", t);
        }
        req.send()
    };
    for refused in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
    ] {
        let res = send(refused).await.unwrap();
        assert_eq!(res.status().as_u16(), 415, "{refused:?}");
        let b: serde_json::Value = res.json().await.unwrap();
        assert_eq!(b["error"]["code"], "unsupported_media_type", "{b}");
    }
    let res = send(Some("application/vnd.api+json")).await.unwrap();
    assert_eq!(res.status().as_u16(), 201);
    // An empty body (launch) needs no Content-Type.
    let id = res.json::<serde_json::Value>().await.unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = testkit::http()
        .post(format!("{}/api/v1/campaigns/{id}/launch", app.base))
        .header("authorization", &shop.bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

/// Relationship links lead to GET routes: a campaign and a journey are readable by id.
#[tokio::test]
async fn campaigns_and_journeys_are_readable_by_id() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 20).await;
    for (list, kind) in [
        ("/api/v1/campaigns", "campaign"),
        ("/api/v1/journeys", "journey"),
    ] {
        let id = app.first_id(&shop, list).await;
        let r = app.get(&shop, &format!("{list}/{id}")).await;
        r.assert(200);
        assert_eq!(r.body["data"]["id"], id.as_str());
        assert_eq!(r.body["data"]["type"], kind);
        let with_query = app.get(&shop, &format!("{list}/{id}?x=1")).await;
        with_query.assert_error(400, "validation_failed");
        app.get(&shop, &format!("{list}/{}_nope", &id[..4]))
            .await
            .assert_error(404, "not_found");
        // another shop does not see it
        let other = app.shop();
        app.get(&other, &format!("{list}/{id}"))
            .await
            .assert_error(404, "not_found");
    }
    // a campaign's relationships point only at GET routes (no POST-only launch link)
    let r = app.get(&shop, "/api/v1/campaigns?limit=1").await;
    let rel = &r.body["data"][0]["relationships"];
    assert!(rel.get("launch").is_none(), "{rel}");
    // scopes: campaigns:read and journeys:read
    let no_scope = app.key_of(&shop, &["customers:read"]);
    let id = app.first_id(&shop, "/api/v1/campaigns").await;
    app.get(&no_scope, &format!("/api/v1/campaigns/{id}"))
        .await
        .assert_error(403, "insufficient_scope");
}
