//! The Admin API seed's "Worked examples", through the gateway, with the
//! seed's own ids (`admin-api seed --example-ids` creates them).

use crate::harness::{Platform, json};
use serde_json::{Value, json};
use testkit::reqwest::Method;

const HOST: &str = "admin.localhost";
const ALL_SCOPES: &str = "analytics:read,customers:read,customers:write,orders:read,attribution:read,campaigns:read,campaigns:write,journeys:read,journeys:write,products:read,products:write";

fn assert_common_headers(headers: &testkit::reqwest::header::HeaderMap) {
    for h in [
        "x-request-id",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        assert!(headers.contains_key(h), "missing {h}: {headers:?}");
    }
    assert_eq!(headers["x-sumeru-stability"], "stable");
}

#[tokio::test]
async fn the_seed_worked_examples_work_through_the_gateway() {
    let p = Platform::start().await;
    let (shop, key) = p.tenant_with_key("admin", ALL_SCOPES, "starter");
    let shop_id = shop["id"].as_str().unwrap();
    p.seed(
        "admin-api",
        ("ADMIN_API__DATABASE__URL", &p.admin_db),
        &["--tenant", shop_id, "--customers", "300", "--example-ids"],
    );

    // Read recent customers
    let (status, headers, body) = json(
        p.get(
            HOST,
            "/api/v1/customers?filter[lifecycle_stage]=loyal&sort=-last_order_at&limit=10",
            Some(&key),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_common_headers(&headers);
    assert_eq!(headers["x-ratelimit-limit"], "600");
    let customers = body["data"].as_array().unwrap();
    assert!(!customers.is_empty() && customers.len() <= 10);
    let mut last: Option<String> = None;
    for c in customers {
        assert_eq!(c["type"], "customer");
        assert_eq!(c["attributes"]["lifecycle_stage"], "loyal");
        assert!(c["id"].as_str().unwrap().starts_with("cus_"));
        let related = c["relationships"]["orders"]["links"]["related"]
            .as_str()
            .unwrap();
        assert_eq!(
            related,
            format!("/api/v1/customers/{}/orders", c["id"].as_str().unwrap())
        );
        if let (Some(prev), Some(cur)) = (&last, c["attributes"]["last_order_at"].as_str()) {
            assert!(prev.as_str() >= cur, "sorted by -last_order_at");
        }
        last = c["attributes"]["last_order_at"].as_str().map(str::to_owned);
    }
    assert!(body["pagination"]["has_next"].is_boolean());

    // Update a customer's tag (the seed's own id)
    let (status, _, body) = json(
        p.request(
            Method::PATCH,
            HOST,
            "/api/v1/customers/cus_abc123",
            Some(&key),
        )
        .header("content-type", "application/json")
        .body(r#"{ "data": { "attributes": { "tags": ["vip", "wholesale"] } } }"#)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["attributes"]["tags"],
        json!(["vip", "wholesale"])
    );
    // The SDK example reads the same customer back, and its orders link resolves.
    let (status, _, body) = json(
        p.get(HOST, "/api/v1/customers/cus_abc123", Some(&key))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["attributes"]["lifecycle_stage"], "loyal");
    assert_eq!(
        body["data"]["attributes"]["tags"],
        json!(["vip", "wholesale"])
    );
    let (status, _, orders) = json(
        p.get(HOST, "/api/v1/customers/cus_abc123/orders", Some(&key))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{orders}");
    // The example customer always has orders (cloned from the customer with the most).
    assert!(
        orders["data"].as_array().is_some_and(|o| !o.is_empty()),
        "{orders}"
    );
    assert_eq!(
        orders["data"][0]["relationships"]["customer"]["data"]["id"], "cus_abc123",
        "{orders}"
    );

    // Launch a campaign (idempotently)
    let launch = || {
        p.request(
            Method::POST,
            HOST,
            "/api/v1/campaigns/cam_abc123/launch",
            Some(&key),
        )
        .header("idempotency-key", "launch-spring-2026-05-10")
        .send()
    };
    let (status, first_headers, first) = json(launch().await.unwrap()).await;
    assert!(status == 200 || status == 202, "{status} {first}");
    assert!(first_headers.get("idempotent-replayed").is_none());
    let (status2, replay_headers, replay) = json(launch().await.unwrap()).await;
    assert_eq!((status2, &replay), (status, &first));
    assert_eq!(replay_headers["idempotent-replayed"], "true");

    // List a journey's enrollments
    let (status, _, body) = json(
        p.get(
            HOST,
            "/api/v1/journeys/jrn_abc/enrollments?filter[status]=active&limit=100",
            Some(&key),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let enrollments = body["data"].as_array().unwrap();
    assert!(
        !enrollments.is_empty(),
        "jrn_abc has active enrollments: {body}"
    );
    for e in enrollments {
        assert_eq!(e["attributes"]["status"], "active");
    }

    // Pull attribution for a date range
    let (status, _, body) = json(
        p.get(
            HOST,
            "/api/v1/attribution?filter[date_from]=2026-05-01&filter[date_to]=2026-05-09&include=touchpoints",
            Some(&key),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["data"].is_array() || body["data"].is_object());
    assert!(body["included"].is_array(), "{body}");

    // The seed's error model: a campaign without audience_id
    let (status, headers, body) = json(
        p.request(Method::POST, HOST, "/api/v1/campaigns", Some(&key))
            .header("content-type", "application/json")
            .header("idempotency-key", "my-campaign-2026-05-10-spring")
            .body(r#"{ "name": "Spring Sale" }"#)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        json!({
            "code": "validation_failed",
            "message": "audience_id required for campaign creation",
            "details": { "field": "audience_id" },
            "request_id": headers["x-request-id"].to_str().unwrap(),
        })
    );

    // Usage: any valid key
    let (status, _, body) = json(
        p.get(HOST, "/api/v1/usage", Some(&key))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(body, Value::Null);
}
