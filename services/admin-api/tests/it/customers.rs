//! Customers: get and PATCH of the writable attributes.

use crate::helpers::TestApp;
use serde_json::json;

#[tokio::test]
async fn patch_updates_writable_attributes_only() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 20).await;
    let id = app.first_id(&shop, "/api/v1/customers?limit=1").await;
    let before = app.get(&shop, &format!("/api/v1/customers/{id}")).await;
    before.assert(200);
    let body = json!({ "data": { "type": "customer", "id": id, "attributes": {
        "lifecycle_stage": "at_risk", "first_name": "Janet", "phone": null, "accepts_marketing": false,
        "note": "prefers SMS", "email": "Janet.Doe@Example.com", "country": "fr", "tags": ["vip", "vip", "wholesale"]
    } } });
    let r = app
        .patch(
            &shop,
            &format!("/api/v1/customers/{id}"),
            &body,
            Some("patch-1"),
        )
        .await;
    r.assert(200);
    let a = &r.body["data"]["attributes"];
    assert_eq!(a["lifecycle_stage"], "at_risk");
    assert_eq!(a["first_name"], "Janet");
    assert_eq!(a["phone"], serde_json::Value::Null);
    assert_eq!(a["email"], "janet.doe@example.com");
    assert_eq!(a["country"], "FR");
    assert_eq!(a["tags"], json!(["vip", "wholesale"]));
    assert_eq!(
        a["total_spent"],
        before.body["data"]["attributes"]["total_spent"]
    );
    assert_ne!(
        a["updated_at"],
        before.body["data"]["attributes"]["updated_at"]
    );

    for (attrs, field) in [
        (json!({ "total_spent": 1 }), "total_spent"),
        (json!({ "orders_count": 1 }), "orders_count"),
        (json!({ "lifecycle_stage": "vip" }), "lifecycle_stage"),
        (json!({ "tags": "vip" }), "tags"),
        (json!({ "tags": [1] }), "tags"),
        (json!({ "email": "not-an-email" }), "email"),
        (json!({ "email": null }), "email"),
        (json!({ "accepts_marketing": "yes" }), "accepts_marketing"),
        (json!({ "shoe_size": 42 }), "shoe_size"),
    ] {
        let r = app
            .patch(
                &shop,
                &format!("/api/v1/customers/{id}"),
                &json!({ "data": { "attributes": attrs } }),
                None,
            )
            .await;
        r.assert_error(400, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field, "{attrs}");
    }
    // A duplicate email is a conflict.
    let other = app.get(&shop, "/api/v1/customers?limit=2").await.ids()[1].clone();
    let r = app
        .patch(
            &shop,
            &format!("/api/v1/customers/{other}"),
            &json!({"data":{"attributes":{"email":"janet.doe@example.com"}}}),
            None,
        )
        .await;
    r.assert_error(409, "conflict");
    assert_eq!(r.body["error"]["details"]["field"], "email");
    app.patch(
        &shop,
        "/api/v1/customers/cus_nope",
        &json!({"data":{"attributes":{"tags":[]}}}),
        None,
    )
    .await
    .assert_error(404, "not_found");
    app.get(&shop, "/api/v1/customers/cus_nope")
        .await
        .assert_error(404, "not_found");
    app.get(&shop, "/api/v1/customers/ord_wrongprefix")
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn orders_list_and_get() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 20).await;
    let r = app
        .get(&shop, "/api/v1/orders?sort=-placed_at&limit=5")
        .await;
    r.assert(200);
    let id = r.ids()[0].clone();
    let o = app.get(&shop, &format!("/api/v1/orders/{id}")).await;
    o.assert(200);
    assert_eq!(o.body["data"]["type"], "order");
    let a = &o.body["data"]["attributes"];
    let total = a["subtotal"].as_f64().unwrap() - a["discount"].as_f64().unwrap()
        + a["shipping"].as_f64().unwrap()
        + a["tax"].as_f64().unwrap();
    assert!((total - a["total"].as_f64().unwrap()).abs() < 0.001);
    let customer = o.body["data"]["relationships"]["customer"]["data"]["id"]
        .as_str()
        .unwrap();
    app.get(&shop, &format!("/api/v1/customers/{customer}"))
        .await
        .assert(200);
    app.get(&shop, "/api/v1/orders/ord_missing")
        .await
        .assert_error(404, "not_found");
    let mine = app
        .walk(
            &shop,
            &format!("/api/v1/orders?filter[customer_id]={customer}&limit=100"),
        )
        .await;
    let related = app
        .walk(
            &shop,
            &format!("/api/v1/customers/{customer}/orders?limit=100"),
        )
        .await;
    assert_eq!(mine, related);
}

/// JSON:API identity: `data.type` must be the resource's, `data.id` the path's (409 `conflict`).
#[tokio::test]
async fn a_body_naming_another_resource_is_a_conflict() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 5).await;
    let id = app.first_id(&shop, "/api/v1/customers?limit=1").await;
    let path = format!("/api/v1/customers/{id}");
    let wrong_type = json!({"data":{"type":"product","id":id,"attributes":{"tags":["a"]}}});
    let r = app.patch(&shop, &path, &wrong_type, None).await;
    r.assert_error(409, "conflict");
    assert_eq!(r.body["error"]["details"]["field"], "data.type");
    let wrong_id = json!({"data":{"type":"customer","id":"cus_other","attributes":{"tags":["a"]}}});
    let r = app.patch(&shop, &path, &wrong_id, None).await;
    r.assert_error(409, "conflict");
    assert_eq!(r.body["error"]["details"]["field"], "data.id");
    let right = json!({"data":{"type":"customer","id":id,"attributes":{"tags":["a"]}}});
    app.patch(&shop, &path, &right, None).await.assert(200);
    // A create names its type too.
    let r = app
        .post(
            &shop,
            "/api/v1/journeys",
            Some(&json!({"data":{"type":"campaign","attributes":{"name":"J","trigger":"signup"}}})),
            None,
        )
        .await;
    r.assert_error(409, "conflict");
    // Bulk inventory rows name theirs.
    let r = app
        .patch(
            &shop,
            "/api/v1/inventory",
            &json!({"data":[{"type":"product","id":"inv_x","attributes":{"available":1}}]}),
            None,
        )
        .await;
    r.assert_error(409, "conflict");
    assert_eq!(r.body["error"]["details"]["field"], "data[0].type");
}
