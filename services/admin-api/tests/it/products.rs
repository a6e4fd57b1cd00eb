//! Products: create, get, PATCH, list.

use crate::helpers::TestApp;
use serde_json::json;

#[tokio::test]
async fn create_get_patch_products() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    let body = json!({ "data": { "type": "product", "attributes": {
        "title": "Ceramic Mug", "sku": "MUG-001", "price": 18.5, "compare_at_price": "24.00",
        "tags": ["kitchen"], "vendor": "Northwind", "inventory_quantity": 12 } } });
    let r = app
        .post(&shop, "/api/v1/products", Some(&body), Some("p1"))
        .await;
    r.assert(201);
    assert!(r.text.contains("\"price\":18.50"), "{}", r.text);
    assert!(r.text.contains("\"compare_at_price\":24.00"), "{}", r.text);
    let id = r.body["data"]["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("prd_"));
    let a = &r.body["data"]["attributes"];
    assert_eq!(a["status"], "draft");
    assert_eq!(a["currency"], "USD");
    assert_eq!(a["inventory_quantity"], 12);

    let got = app.get(&shop, &format!("/api/v1/products/{id}")).await;
    got.assert(200);
    assert_eq!(got.body["data"], r.body["data"]);

    let p = app
        .patch(&shop, &format!("/api/v1/products/{id}"), &json!({"data":{"attributes":{"status":"active","price":"19.99","compare_at_price":null}}}), None)
        .await;
    p.assert(200);
    assert!(p.text.contains("\"price\":19.99"));
    assert_eq!(
        p.body["data"]["attributes"]["compare_at_price"],
        serde_json::Value::Null
    );
    assert_eq!(p.body["data"]["attributes"]["status"], "active");

    // Duplicate SKU → 409 conflict naming sku.
    let dup = app
        .post(
            &shop,
            "/api/v1/products",
            Some(&json!({"title":"Other","sku":"MUG-001","price":1})),
            None,
        )
        .await;
    dup.assert_error(409, "conflict");
    assert_eq!(dup.body["error"]["details"]["field"], "sku");
    for (attrs, field) in [
        (json!({"sku":"A","price":1}), "title"),
        (json!({"title":"A","price":1}), "sku"),
        (json!({"title":"A","sku":"B"}), "price"),
        (json!({"title":"A","sku":"B","price":-1}), "price"),
        (json!({"title":"A","sku":"B","price":1.999}), "price"),
        (
            json!({"title":"A","sku":"B","price":1,"currency":"usd"}),
            "currency",
        ),
        (
            json!({"title":"A","sku":"B","price":1,"status":"deleted"}),
            "status",
        ),
    ] {
        let r = app
            .post(&shop, "/api/v1/products", Some(&attrs), None)
            .await;
        r.assert_error(400, "validation_failed");
        assert_eq!(r.body["error"]["details"]["field"], field, "{attrs}");
    }
    app.patch(
        &shop,
        &format!("/api/v1/products/{id}"),
        &json!({"data":{"attributes":{"inventory_quantity":3}}}),
        None,
    )
    .await
    .assert_error(400, "validation_failed");
    let listed = app
        .get(
            &shop,
            "/api/v1/products?filter[status]=active&filter[tag]=kitchen",
        )
        .await;
    assert_eq!(listed.ids(), vec![id]);
}
