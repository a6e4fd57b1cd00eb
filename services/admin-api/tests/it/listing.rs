//! The generic list mechanism: filters, sorts with ties, cursors across many pages.

use crate::helpers::TestApp;
use serde_json::Value;
use std::{cmp::Ordering, collections::HashSet};

fn cmp_key(a: &Value, b: &Value, sort: &[(&str, bool)]) -> Ordering {
    for (field, desc) in sort {
        let (x, y) = (&a["attributes"][*field], &b["attributes"][*field]);
        let o = match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => p.partial_cmp(&q).unwrap(),
            _ => x.as_str().unwrap_or("").cmp(y.as_str().unwrap_or("")),
        };
        let o = if *desc { o.reverse() } else { o };
        if o != Ordering::Equal {
            return o;
        }
    }
    let o = a["id"].as_str().cmp(&b["id"].as_str());
    if sort.last().is_some_and(|(_, d)| *d) {
        o.reverse()
    } else {
        o
    }
}

#[tokio::test]
async fn cursors_walk_every_row_once_in_order_with_ties() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 250).await;
    // Many ties: orders_count takes few values; mixed directions use the expanded keyset.
    for (query, sort) in [
        (
            "sort=orders_count,-total_spent&limit=7",
            vec![("orders_count", false), ("total_spent", true)],
        ),
        ("sort=-orders_count&limit=9", vec![("orders_count", true)]),
        ("sort=orders_count&limit=11", vec![("orders_count", false)]),
        (
            "sort=-last_order_at,email&limit=13",
            vec![("last_order_at", true), ("email", false)],
        ),
        ("limit=6", vec![("created_at", true)]),
    ] {
        let all = app.walk(&shop, &format!("/api/v1/customers?{query}")).await;
        assert_eq!(all.len(), 250, "{query}");
        let ids: HashSet<&str> = all.iter().map(|c| c["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), 250, "duplicates in {query}");
        for w in all.windows(2) {
            assert_eq!(
                cmp_key(&w[0], &w[1], &sort),
                Ordering::Less,
                "{query}: {} before {}",
                w[0]["id"],
                w[1]["id"]
            );
        }
    }
}

#[tokio::test]
async fn ties_are_broken_by_id_even_when_every_key_is_equal() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 80).await;
    app.exec(&format!(
        "UPDATE customers SET total_spent_cents = 48720, created_at = '2026-01-01T00:00:00Z' WHERE tenant_id = '{}'",
        shop.tenant()
    ))
    .await;
    for dir in ["", "-"] {
        let all = app
            .walk(
                &shop,
                &format!("/api/v1/customers?sort={dir}total_spent&limit=3"),
            )
            .await;
        assert_eq!(all.len(), 80);
        let ids: Vec<&str> = all.iter().map(|c| c["id"].as_str().unwrap()).collect();
        let mut sorted = ids.clone();
        sorted.sort();
        if dir == "-" {
            sorted.reverse();
        }
        assert_eq!(ids, sorted);
        assert!(
            all.iter()
                .all(|c| c["attributes"]["total_spent"].as_f64() == Some(487.2))
        );
    }
    // And the rendering keeps two decimals.
    let r = app.get(&shop, "/api/v1/customers?limit=1").await;
    assert!(r.text.contains("\"total_spent\":487.20"), "{}", r.text);
}

#[tokio::test]
async fn filters_are_applied_and_combined() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 300).await;
    let all = app.walk(&shop, "/api/v1/customers?limit=100").await;
    let loyal_or_new = app
        .walk(
            &shop,
            "/api/v1/customers?filter[lifecycle_stage]=loyal,new&limit=100",
        )
        .await;
    let expected = all
        .iter()
        .filter(|c| {
            ["loyal", "new"].contains(&c["attributes"]["lifecycle_stage"].as_str().unwrap())
        })
        .count();
    assert_eq!(loyal_or_new.len(), expected);
    let rich = app
        .walk(
            &shop,
            "/api/v1/customers?filter[total_spent_min]=300.50&filter[orders_count_min]=2&limit=100",
        )
        .await;
    let expected = all
        .iter()
        .filter(|c| {
            c["attributes"]["total_spent"].as_f64().unwrap() >= 300.5
                && c["attributes"]["orders_count"].as_i64().unwrap() >= 2
        })
        .count();
    assert_eq!(rich.len(), expected);
    assert!(!rich.is_empty());
    let tagged = app
        .walk(&shop, "/api/v1/customers?filter[tag]=newsletter&limit=100")
        .await;
    assert!(!tagged.is_empty());
    assert!(tagged.iter().all(|c| {
        c["attributes"]["tags"]
            .as_array()
            .unwrap()
            .contains(&Value::from("newsletter"))
    }));
    let email = all[0]["attributes"]["email"]
        .as_str()
        .unwrap()
        .to_uppercase();
    let one = app
        .get(
            &shop,
            &format!("/api/v1/customers?filter[email]={}", urlencode(&email)),
        )
        .await;
    assert_eq!(one.data().len(), 1);
    // Orders by status and customer; products by price range.
    let paid = app
        .walk(
            &shop,
            "/api/v1/orders?filter[status]=paid&sort=-total&limit=100",
        )
        .await;
    assert!(paid.iter().all(|o| o["attributes"]["status"] == "paid"));
    let cheap = app
        .walk(
            &shop,
            "/api/v1/products?filter[price_max]=50&sort=price&limit=100",
        )
        .await;
    assert!(
        cheap
            .iter()
            .all(|p| p["attributes"]["price"].as_f64().unwrap() <= 50.0)
    );
}

fn urlencode(s: &str) -> String {
    s.replace('@', "%40").replace('+', "%2B")
}

#[tokio::test]
async fn invalid_parameters_name_their_parameter() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    for (query, field) in [
        ("filter[favourite_color]=red", "filter[favourite_color]"),
        ("filter[total_spent_min]=lots", "filter[total_spent_min]"),
        ("filter[total_spent_min]=1.234", "filter[total_spent_min]"),
        ("filter[lifecycle_stage]=vip", "filter[lifecycle_stage]"),
        ("filter[created_after]=yesterday", "filter[created_after]"),
        ("filter[accepts_marketing]=yes", "filter[accepts_marketing]"),
        ("filter[orders_count_min]=1.5", "filter[orders_count_min]"),
        ("sort=password", "sort"),
        ("sort=email,email", "sort"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("page=2", "page"),
        ("include=orders", "include"),
    ] {
        let r = app.get(&shop, &format!("/api/v1/customers?{query}")).await;
        r.assert_error(400, "validation_failed");
        // query parameters are named in details.parameter (body fields in details.field)
        assert_eq!(
            r.body["error"]["details"]["parameter"], field,
            "{query}: {}",
            r.text
        );
    }
    app.get(&shop, "/api/v1/customers?limit=100")
        .await
        .assert(200);
    app.get(&shop, "/api/v1/customers?limit=1")
        .await
        .assert(200);
}

#[tokio::test]
async fn cursors_are_tamper_proof_and_bound_to_their_query() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    app.seed(&shop, 30).await;
    let first = app
        .get(&shop, "/api/v1/customers?sort=-total_spent&limit=5")
        .await;
    let cursor = first.next_cursor().unwrap();
    // Fine with the same filters and sort (limit may change).
    app.get(
        &shop,
        &format!("/api/v1/customers?sort=-total_spent&limit=7&cursor={cursor}"),
    )
    .await
    .assert(200);
    // Other sort or filters → invalid_cursor.
    for q in [
        format!("sort=total_spent&limit=5&cursor={cursor}"),
        format!("limit=5&cursor={cursor}"),
        format!("sort=-total_spent&filter[lifecycle_stage]=loyal&limit=5&cursor={cursor}"),
    ] {
        app.get(&shop, &format!("/api/v1/customers?{q}"))
            .await
            .assert_error(400, "invalid_cursor");
    }
    // Another resource → invalid_cursor.
    app.get(
        &shop,
        &format!("/api/v1/orders?sort=-total&cursor={cursor}"),
    )
    .await
    .assert_error(400, "invalid_cursor");
    // Tampering → invalid_cursor.
    let (payload, mac) = cursor.split_once('.').unwrap();
    let mut flipped: Vec<char> = payload.chars().collect();
    flipped[3] = if flipped[3] == 'A' { 'B' } else { 'A' };
    let flipped: String = flipped.into_iter().collect();
    for bad in [
        format!("{flipped}.{mac}"),
        "eyJpZCI6ImN1c19hYmMxMjMifQ==".to_owned(),
        "garbage".to_owned(),
    ] {
        app.get(
            &shop,
            &format!("/api/v1/customers?sort=-total_spent&cursor={bad}"),
        )
        .await
        .assert_error(400, "invalid_cursor");
    }
}
