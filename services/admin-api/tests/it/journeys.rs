//! Journeys: create (with steps validation), list, enrollments.

use crate::helpers::TestApp;
use serde_json::json;

#[tokio::test]
async fn create_and_list_journeys_and_enrollments() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 200).await;
    let steps = json!([{"type":"email","template":"welcome_1"},{"type":"wait","delay_hours":24},{"type":"sms"}]);
    let r = app
        .post(
            &shop,
            "/api/v1/journeys",
            Some(
                &json!({"data":{"attributes":{"name":"Welcome","trigger":"signup","steps":steps}}}),
            ),
            None,
        )
        .await;
    r.assert(201);
    let id = r.body["data"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("jrn_"));
    assert_eq!(r.body["data"]["attributes"]["steps"], steps);
    assert_eq!(r.body["data"]["attributes"]["status"], "draft");
    assert_eq!(
        r.body["data"]["relationships"]["enrollments"]["links"]["related"],
        format!("/api/v1/journeys/{id}/enrollments")
    );
    // A fresh journey has no enrollments.
    let e = app
        .get(&shop, &format!("/api/v1/journeys/{id}/enrollments"))
        .await;
    e.assert(200);
    assert!(e.data().is_empty());
    assert_eq!(
        e.body["pagination"],
        json!({"next_cursor": null, "has_next": false})
    );

    for (attrs, field) in [
        (json!({"trigger":"signup"}), "name"),
        (json!({"name":"x"}), "trigger"),
        (json!({"name":"x","trigger":"full_moon"}), "trigger"),
        (
            json!({"name":"x","trigger":"signup","status":"paused"}),
            "status",
        ),
        (json!({"name":"x","trigger":"signup","steps":{}}), "steps"),
        (
            json!({"name":"x","trigger":"signup","steps":[{"type":"fax"}]}),
            "steps[0].type",
        ),
        (
            json!({"name":"x","trigger":"signup","steps":[{"type":"email"},{"type":"wait"}]}),
            "steps[1].delay_hours",
        ),
    ] {
        let r = app
            .post(&shop, "/api/v1/journeys", Some(&attrs), None)
            .await;
        r.assert_error(400, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field, "{attrs}");
    }

    // Enrollments of a seeded journey: status filter, pages, sort.
    let journey = app
        .first_id(
            &shop,
            "/api/v1/journeys?filter[status]=active&sort=name&limit=1",
        )
        .await;
    let all = app
        .walk(
            &shop,
            &format!("/api/v1/journeys/{journey}/enrollments?limit=17"),
        )
        .await;
    let active = app
        .walk(
            &shop,
            &format!("/api/v1/journeys/{journey}/enrollments?filter[status]=active&limit=17"),
        )
        .await;
    assert!(!active.is_empty() && active.len() < all.len());
    assert_eq!(
        active.len(),
        all.iter()
            .filter(|e| e["attributes"]["status"] == "active")
            .count()
    );
    let j = app
        .get(
            &shop,
            "/api/v1/journeys?filter[status]=active&sort=name&limit=1",
        )
        .await;
    assert_eq!(
        j.data()[0]["attributes"]["enrollments_count"]
            .as_u64()
            .unwrap() as usize,
        all.len()
    );
    app.get(
        &shop,
        &format!("/api/v1/journeys/{journey}/enrollments?filter[status]=paused"),
    )
    .await
    .assert_error(400, "validation_failed");
    app.get(&shop, "/api/v1/journeys/jrn_missing/enrollments")
        .await
        .assert_error(404, "not_found");
}
