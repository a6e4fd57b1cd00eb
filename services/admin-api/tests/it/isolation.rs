//! Tenant isolation: shop B's key never reads or changes shop A's data, not even by id (404).

use crate::helpers::TestApp;
use serde_json::json;

#[tokio::test]
async fn another_shop_cannot_read_or_change_by_id() {
    let app = TestApp::spawn().await;
    let a = app.shop();
    let b = app.shop();
    app.seed(&a, 60).await;
    app.seed(&b, 40).await;

    let a_customer = app.first_id(&a, "/api/v1/customers?limit=1").await;
    let a_order = app.first_id(&a, "/api/v1/orders?limit=1").await;
    let a_product = app.first_id(&a, "/api/v1/products?limit=1").await;
    let a_run = app
        .first_id(&a, "/api/v1/decision-intelligence/runs?limit=1")
        .await;
    let a_kw = app
        .first_id(&a, "/api/v1/seo-intelligence/keywords?limit=1")
        .await;
    let a_campaign = app
        .first_id(&a, "/api/v1/campaigns?filter[status]=draft&limit=1")
        .await;
    let a_journey = app
        .first_id(&a, "/api/v1/journeys?filter[status]=active&limit=1")
        .await;
    let a_inventory = app.first_id(&a, "/api/v1/inventory?limit=1").await;

    for (path, resource) in [
        (format!("/api/v1/customers/{a_customer}"), "customer"),
        (format!("/api/v1/customers/{a_customer}/orders"), "customer"),
        (format!("/api/v1/orders/{a_order}"), "order"),
        (format!("/api/v1/products/{a_product}"), "product"),
        (format!("/api/v1/decision-intelligence/runs/{a_run}"), "run"),
        (
            format!("/api/v1/seo-intelligence/keywords/{a_kw}"),
            "keyword",
        ),
        (
            format!("/api/v1/journeys/{a_journey}/enrollments"),
            "journey",
        ),
    ] {
        let r = app.get(&b, &path).await;
        r.assert_error(404, "not_found");
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains(resource),
            "{}",
            r.text
        );
        // …while A reads it.
        app.get(&a, &path).await.assert(200);
    }

    // Writes by B on A's ids: 404 and nothing changes.
    app.patch(
        &b,
        &format!("/api/v1/customers/{a_customer}"),
        &json!({"data":{"attributes":{"tags":["stolen"]}}}),
        None,
    )
    .await
    .assert_error(404, "not_found");
    app.patch(
        &b,
        &format!("/api/v1/products/{a_product}"),
        &json!({"data":{"attributes":{"title":"stolen"}}}),
        None,
    )
    .await
    .assert_error(404, "not_found");
    app.post(
        &b,
        &format!("/api/v1/campaigns/{a_campaign}/launch"),
        None,
        None,
    )
    .await
    .assert_error(404, "not_found");
    app.patch(
        &b,
        "/api/v1/inventory",
        &json!({"data":[{"id": a_inventory, "attributes":{"available": 0}}]}),
        None,
    )
    .await
    .assert_error(404, "not_found");
    let c = app
        .get(&a, &format!("/api/v1/customers/{a_customer}"))
        .await;
    assert_ne!(c.body["data"]["attributes"]["tags"], json!(["stolen"]));
    let p = app.get(&a, &format!("/api/v1/products/{a_product}")).await;
    assert_ne!(p.body["data"]["attributes"]["title"], "stolen");
    let cam = app
        .get(&a, "/api/v1/campaigns?filter[status]=draft&limit=100")
        .await;
    assert!(
        cam.ids().contains(&a_campaign),
        "A's campaign was launched by B"
    );

    // B creating a campaign with A's audience: A's audience does not exist for B.
    let audience: String = {
        let r = app.get(&a, "/api/v1/campaigns?limit=1").await;
        r.data()[0]["attributes"]["audience_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let r = app
        .post(
            &b,
            "/api/v1/campaigns",
            Some(&json!({"name":"x","audience_id": audience})),
            None,
        )
        .await;
    r.assert_error(400, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "audience_id");
}

#[tokio::test]
async fn lists_hold_only_the_callers_shop() {
    let app = TestApp::spawn().await;
    let a = app.shop();
    let b = app.shop();
    app.seed(&a, 60).await;
    app.seed(&b, 40).await;
    for path in [
        "/api/v1/customers?limit=100",
        "/api/v1/orders?limit=100",
        "/api/v1/products?limit=100",
        "/api/v1/inventory?limit=100",
        "/api/v1/campaigns?limit=100",
        "/api/v1/journeys?limit=100",
        "/api/v1/attribution?limit=100",
        "/api/v1/decision-intelligence/runs?limit=100",
        "/api/v1/seo-intelligence/keywords?limit=100",
    ] {
        let from_a: std::collections::HashSet<Value> = app
            .walk(&a, path)
            .await
            .into_iter()
            .map(|v| v["id"].clone())
            .collect();
        let from_b = app.walk(&b, path).await;
        assert!(!from_b.is_empty(), "{path}");
        assert!(
            from_b.iter().all(|v| !from_a.contains(&v["id"])),
            "{path} leaks across shops"
        );
    }
    assert_eq!(app.walk(&b, "/api/v1/customers?limit=100").await.len(), 40);
}

#[tokio::test]
async fn a_tenant_in_the_query_or_body_is_rejected() {
    let app = TestApp::spawn().await;
    let a = app.shop();
    let b = app.shop();
    app.seed(&a, 20).await;
    let other = b.tenant().to_string();
    for path in [
        format!("/api/v1/customers?tenant_id={other}"),
        format!("/api/v1/customers?shop_id={other}"),
        format!("/api/v1/customers?filter[tenant_id]={other}"),
        format!("/api/v1/orders?filter[shop_id]={other}"),
        "/api/v1/usage?tenant_id=x".to_owned(),
    ] {
        let r = app.get(&a, &path).await;
        r.assert_error(400, "validation_failed");
    }
    let id = app.first_id(&a, "/api/v1/customers?limit=1").await;
    let r = app
        .get(&a, &format!("/api/v1/customers/{id}?shop_id={other}"))
        .await;
    r.assert_error(400, "validation_failed");
    for body in [
        json!({"data":{"attributes":{"tags":["x"], "tenant_id": other}}}),
        json!({"data":{"shop_id": other, "attributes":{"tags":["x"]}}}),
        json!({"tenant_id": other, "data":{"attributes":{"tags":["x"]}}}),
    ] {
        let r = app
            .patch(&a, &format!("/api/v1/customers/{id}"), &body, None)
            .await;
        r.assert_error(400, "validation_failed");
    }
    let r = app
        .post(
            &a,
            "/api/v1/campaigns",
            Some(&json!({"name":"x","audience_id":"aud_x","shop_id": other})),
            None,
        )
        .await;
    r.assert_error(400, "validation_failed");
    assert_eq!(r.body["error"]["details"]["field"], "shop_id");
}

use serde_json::Value;
