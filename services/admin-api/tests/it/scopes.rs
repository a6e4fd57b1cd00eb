//! Every endpoint of the catalog requires its scope (403 `insufficient_scope`
//! naming it) and a valid token (401).

use crate::helpers::TestApp;
use admin_api::stability::ENDPOINTS;
use auth_core::scopes;
use reqwest::Method;
use serde_json::json;

fn concrete(path: &str) -> String {
    path.replace("{run_id}", "run_x")
        .replace("{kw_id}", "kw_x")
        .replace("{customer_id}", "cus_x")
        .replace("{order_id}", "ord_x")
        .replace("{id}", "x_x")
}

#[tokio::test]
async fn every_endpoint_requires_its_scope() {
    let app = TestApp::spawn().await;
    let owner = app.shop();
    for ep in ENDPOINTS {
        let Some(scope) = ep.scope else { continue };
        let others: Vec<&str> = scopes::ADMIN
            .iter()
            .copied()
            .filter(|s| *s != scope)
            .collect();
        let key = app.key_of(&owner, &others);
        let method = Method::from_bytes(ep.method.as_bytes()).unwrap();
        let body = (ep.method != "GET").then(|| json!({ "data": { "attributes": {} } }));
        let r = app
            .request(
                method.clone(),
                Some(&key),
                &concrete(ep.path),
                body.as_ref(),
                None,
            )
            .await;
        r.assert_error(403, "insufficient_scope");
        assert_eq!(
            r.body["error"]["details"]["required_scope"], scope,
            "{} {}",
            ep.method, ep.path
        );
        assert!(r.body["error"]["message"].as_str().unwrap().contains(scope));
        assert_eq!(r.header("x-sumeru-stability"), Some("stable"));
        assert!(
            r.body["error"]["request_id"]
                .as_str()
                .unwrap()
                .starts_with("req_")
        );

        // No token at all → 401.
        let r = app
            .request(method, None, &concrete(ep.path), body.as_ref(), None)
            .await;
        r.assert_error(401, "invalid_token");
    }
}

#[tokio::test]
async fn tokens_for_another_audience_or_tampered_are_refused() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    let mut other = shop.clone();
    other.bearer = app.signer.bearer(&shop.principal, "partner-api");
    app.get(&other, "/api/v1/customers")
        .await
        .assert_error(401, "invalid_token");
    let mut tampered = shop.clone();
    tampered.bearer.push('x');
    app.get(&tampered, "/api/v1/customers")
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test]
async fn usage_needs_only_a_valid_token() {
    let app = TestApp::spawn().await;
    // A key with no scope at all still reaches usage (503 here: ratelimit is not running).
    let bare = app.shop_with(&[]);
    let r = app.get(&bare, "/api/v1/usage").await;
    assert_ne!(r.status, 403, "{}", r.text);
    assert_ne!(r.status, 401, "{}", r.text);
    app.request(Method::GET, None, "/api/v1/usage", None, None)
        .await
        .assert_error(401, "invalid_token");
}
