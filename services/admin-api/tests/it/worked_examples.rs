//! The seed's five worked examples, run directly against the service.

use crate::helpers::TestApp;
use serde_json::json;

/// Money renders as a JSON number with exactly two decimals (`487.20`).
fn assert_money_format(text: &str, field: &str) {
    let needle = format!("\"{field}\":");
    let mut found = 0;
    for (i, _) in text.match_indices(&needle) {
        let rest = &text[i + needle.len()..];
        let value: String = rest
            .chars()
            .take_while(|c| !matches!(c, ',' | '}'))
            .collect();
        if value == "null" {
            continue;
        }
        let (units, decimals) = value
            .split_once('.')
            .unwrap_or_else(|| panic!("{field} has no decimals: {value}"));
        assert!(
            units.chars().all(|c| c.is_ascii_digit() || c == '-'),
            "{value}"
        );
        assert_eq!(decimals.len(), 2, "{field} = {value}");
        found += 1;
    }
    assert!(found > 0, "no {field} in {text}");
}

#[tokio::test]
async fn read_recent_loyal_customers() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 600).await;
    let r = app
        .get(
            &shop,
            "/api/v1/customers?filter[lifecycle_stage]=loyal&sort=-last_order_at&limit=10",
        )
        .await;
    r.assert(200);
    assert_eq!(r.header("x-sumeru-stability"), Some("stable"));
    assert_eq!(r.data().len(), 10);
    let mut last: Option<String> = None;
    for c in r.data() {
        let id = c["id"].as_str().unwrap();
        assert!(id.starts_with("cus_"));
        assert_eq!(c["type"], "customer");
        assert_eq!(c["attributes"]["lifecycle_stage"], "loyal");
        assert!(c["attributes"]["email"].as_str().unwrap().contains('@'));
        assert!(c["attributes"]["total_spent"].is_number());
        assert_eq!(
            c["relationships"]["orders"]["links"]["related"],
            format!("/api/v1/customers/{id}/orders")
        );
        let at = c["attributes"]["last_order_at"]
            .as_str()
            .unwrap()
            .to_owned();
        if let Some(prev) = &last {
            assert!(prev >= &at, "not sorted by -last_order_at");
        }
        last = Some(at);
    }
    assert_money_format(&r.text, "total_spent");
    assert_eq!(r.body["pagination"]["has_next"], true);
    assert!(r.next_cursor().is_some());
    // The relationship link works.
    let id = r.ids()[0].clone();
    let orders = app
        .get(&shop, &format!("/api/v1/customers/{id}/orders"))
        .await;
    orders.assert(200);
    assert!(!orders.data().is_empty());
    assert!(
        orders
            .data()
            .iter()
            .all(|o| o["relationships"]["customer"]["data"]["id"] == id.as_str())
    );
    assert_eq!(
        orders.data().len() as i64,
        r.data()[0]["attributes"]["orders_count"].as_i64().unwrap()
    );
    assert_money_format(&orders.text, "total");
}

#[tokio::test]
async fn update_a_customers_tags() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 50).await;
    let id = app.first_id(&shop, "/api/v1/customers?limit=1").await;
    let r = app
        .patch(
            &shop,
            &format!("/api/v1/customers/{id}"),
            &json!({ "data": { "attributes": { "tags": ["vip", "wholesale"] } } }),
            None,
        )
        .await;
    r.assert(200);
    assert_eq!(r.body["data"]["id"], id.as_str());
    assert_eq!(r.body["data"]["type"], "customer");
    assert_eq!(
        r.body["data"]["attributes"]["tags"],
        json!(["vip", "wholesale"])
    );
    let again = app.get(&shop, &format!("/api/v1/customers/{id}")).await;
    assert_eq!(
        again.body["data"]["attributes"]["tags"],
        json!(["vip", "wholesale"])
    );
}

#[tokio::test]
async fn launch_a_campaign() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 50).await;
    let id = app
        .first_id(&shop, "/api/v1/campaigns?filter[status]=draft&limit=1")
        .await;
    let path = format!("/api/v1/campaigns/{id}/launch");
    let r = app
        .post(&shop, &path, None, Some("launch-spring-2026-05-10"))
        .await;
    r.assert(200);
    assert_eq!(r.body["data"]["id"], id.as_str());
    assert_eq!(r.body["data"]["attributes"]["status"], "active");
    assert!(r.body["data"]["attributes"]["launched_at"].is_string());
    assert!(r.header("idempotent-replayed").is_none());
    // The SDK retry: same key → the same response, replayed.
    let again = app
        .post(&shop, &path, None, Some("launch-spring-2026-05-10"))
        .await;
    again.assert(200);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.text, r.text);
    // Without the key a second launch is refused: the campaign is active.
    app.post(&shop, &path, None, None)
        .await
        .assert_error(409, "invalid_state");
}

#[tokio::test]
async fn list_a_journeys_active_enrollments() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 400).await;
    let id = app
        .first_id(&shop, "/api/v1/journeys?filter[status]=active&limit=1")
        .await;
    let r = app
        .get(
            &shop,
            &format!("/api/v1/journeys/{id}/enrollments?filter[status]=active&limit=100"),
        )
        .await;
    r.assert(200);
    assert!(!r.data().is_empty());
    assert!(r.data().len() <= 100);
    for e in r.data() {
        assert!(e["id"].as_str().unwrap().starts_with("enr_"));
        assert_eq!(e["type"], "enrollment");
        assert_eq!(e["attributes"]["status"], "active");
        assert_eq!(e["relationships"]["journey"]["data"]["id"], id.as_str());
        assert!(
            e["relationships"]["customer"]["data"]["id"]
                .as_str()
                .unwrap()
                .starts_with("cus_")
        );
    }
    assert!(r.body["pagination"]["has_next"].is_boolean());
}

#[tokio::test]
async fn pull_attribution_for_a_date_range() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 300).await;
    // Pin a few conversions inside the seed's example range.
    app.exec(&format!(
        "UPDATE attributions SET converted_at = '2026-05-03T12:00:00Z' WHERE tenant_id = '{}' AND id IN \
         (SELECT id FROM attributions WHERE tenant_id = '{}' ORDER BY id LIMIT 5)",
        shop.tenant(),
        shop.tenant()
    ))
    .await;
    app.exec(&format!(
        "UPDATE attributions SET converted_at = '2026-05-09T23:59:59Z' WHERE tenant_id = '{}' AND id IN \
         (SELECT id FROM attributions WHERE tenant_id = '{}' ORDER BY id DESC LIMIT 1)",
        shop.tenant(),
        shop.tenant()
    ))
    .await;
    let r = app
        .get(&shop, "/api/v1/attribution?filter[date_from]=2026-05-01&filter[date_to]=2026-05-09&include=touchpoints")
        .await;
    r.assert(200);
    let expected = app
        .count(&format!(
            "attributions WHERE tenant_id = '{}' AND converted_at >= '2026-05-01T00:00:00Z' AND converted_at < '2026-05-10T00:00:00Z'",
            shop.tenant()
        ))
        .await;
    assert!(expected >= 6);
    assert_eq!(r.data().len() as i64, expected, "{}", r.text);
    let included = r.body["included"].as_array().expect("included");
    for a in r.data() {
        assert_eq!(a["type"], "attribution");
        let at = a["attributes"]["converted_at"].as_str().unwrap();
        assert!(("2026-05-01".."2026-05-10").contains(&at), "{at}");
        let linked = a["relationships"]["touchpoints"]["data"]
            .as_array()
            .unwrap();
        assert!(!linked.is_empty());
        assert_eq!(
            linked.len() as u64,
            a["attributes"]["touchpoints_count"].as_u64().unwrap()
        );
        for l in linked {
            assert!(
                included
                    .iter()
                    .any(|t| t["id"] == l["id"] && t["type"] == "touchpoint"),
                "missing {l}"
            );
        }
    }
    assert!(
        included
            .iter()
            .all(|t| t["relationships"]["attribution"]["data"]["id"].is_string())
    );
    assert_money_format(&r.text, "revenue");
    // Without include, no `included`.
    let plain = app
        .get(
            &shop,
            "/api/v1/attribution?filter[date_from]=2026-05-01&filter[date_to]=2026-05-09",
        )
        .await;
    plain.assert(200);
    assert!(plain.body.get("included").is_none());
    // date_to before date_from is refused.
    app.get(
        &shop,
        "/api/v1/attribution?filter[date_from]=2026-05-09&filter[date_to]=2026-05-01",
    )
    .await
    .assert_error(400, "validation_failed");
    app.get(&shop, "/api/v1/attribution?filter[date_from]=May-1")
        .await
        .assert_error(400, "validation_failed");
    app.get(&shop, "/api/v1/attribution?include=orders")
        .await
        .assert_error(400, "validation_failed");
}
