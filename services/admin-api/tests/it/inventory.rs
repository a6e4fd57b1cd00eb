//! Inventory: list and the all-or-nothing bulk PATCH.

use crate::helpers::TestApp;
use serde_json::json;

#[tokio::test]
async fn bulk_patch_applies_all_rows_or_none() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 10).await;
    let levels = app
        .get(&shop, "/api/v1/inventory?sort=available&limit=3")
        .await;
    levels.assert(200);
    let ids = levels.ids();
    let before: Vec<i64> = levels
        .data()
        .iter()
        .map(|l| l["attributes"]["available"].as_i64().unwrap())
        .collect();

    // One unknown id among valid rows: 404 and nothing applied.
    let r = app
        .patch(
            &shop,
            "/api/v1/inventory",
            &json!({"data":[
                {"id": ids[0], "attributes": {"available": 500}},
                {"id": "inv_doesnotexist", "attributes": {"available": 1}},
                {"id": ids[1], "attributes": {"adjustment": 5}},
            ]}),
            None,
        )
        .await;
    r.assert_error(404, "not_found");
    assert_eq!(r.body["error"]["details"]["field"], "data[1].id");
    // An adjustment below zero: 400 and nothing applied.
    let r = app
        .patch(
            &shop,
            "/api/v1/inventory",
            &json!({"data":[
                {"id": ids[0], "attributes": {"available": 500}},
                {"id": ids[1], "attributes": {"adjustment": -(before[1] + 1)}},
            ]}),
            None,
        )
        .await;
    r.assert_error(400, "validation_failed");
    assert_eq!(
        r.body["error"]["details"]["field"],
        "data[1].attributes.adjustment"
    );
    let unchanged = app
        .get(&shop, "/api/v1/inventory?sort=available&limit=3")
        .await;
    assert_eq!(unchanged.ids(), ids);
    let now: Vec<i64> = unchanged
        .data()
        .iter()
        .map(|l| l["attributes"]["available"].as_i64().unwrap())
        .collect();
    assert_eq!(now, before);

    // All valid: all applied, in order.
    let r = app
        .patch(
            &shop,
            "/api/v1/inventory",
            &json!({"data":[
                {"id": ids[0], "attributes": {"available": 500}},
                {"id": ids[1], "attributes": {"adjustment": 5}},
            ]}),
            Some("bulk-1"),
        )
        .await;
    r.assert(200);
    assert_eq!(r.ids(), vec![ids[0].clone(), ids[1].clone()]);
    assert_eq!(r.data()[0]["attributes"]["available"], 500);
    assert_eq!(r.data()[1]["attributes"]["available"], before[1] + 5);
    // Replaying the same bulk does not adjust twice.
    let again = app
        .patch(
            &shop,
            "/api/v1/inventory",
            &json!({"data":[
                {"id": ids[0], "attributes": {"available": 500}},
                {"id": ids[1], "attributes": {"adjustment": 5}},
            ]}),
            Some("bulk-1"),
        )
        .await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let level = app
        .get(
            &shop,
            &format!(
                "/api/v1/inventory?filter[product_id]={}",
                r.data()[1]["relationships"]["product"]["data"]["id"]
                    .as_str()
                    .unwrap()
            ),
        )
        .await;
    assert!(
        level
            .data()
            .iter()
            .any(|l| l["id"] == ids[1].as_str() && l["attributes"]["available"] == before[1] + 5)
    );

    for (body, field) in [
        (json!({"data": []}), "data"),
        (json!({"data": {"id": ids[0]}}), "data"),
        (
            json!({"data": [{"id": "prd_x", "attributes": {"available": 1}}]}),
            "data[0].id",
        ),
        (
            json!({"data": [{"id": ids[0], "attributes": {}}]}),
            "data[0].attributes",
        ),
        (
            json!({"data": [{"id": ids[0], "attributes": {"available": -1}}]}),
            "data[0].attributes.available",
        ),
        (
            json!({"data": [{"id": ids[0], "attributes": {"available": 1, "adjustment": 1}}]}),
            "data[0].attributes",
        ),
        (
            json!({"data": [{"id": ids[0], "attributes": {"reserved": 1}}]}),
            "data[0].attributes.reserved",
        ),
        (
            json!({"data": [{"id": ids[0], "attributes": {"available": 1}}, {"id": ids[0], "attributes": {"available": 2}}]}),
            "data[1].id",
        ),
    ] {
        let r = app.patch(&shop, "/api/v1/inventory", &body, None).await;
        r.assert_error(400, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field, "{body}");
    }
    let low = app
        .walk(
            &shop,
            "/api/v1/inventory?filter[available_max]=20&limit=100",
        )
        .await;
    assert!(
        low.iter()
            .all(|l| l["attributes"]["available"].as_i64().unwrap() <= 20)
    );
}
