//! What the gateway answers itself, in each route's dialect.

use crate::harness::{Platform, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn edge_errors_scopes_and_revocation() {
    let p = Platform::start().await;
    let (_, key) = p.tenant_with_key("admin", "customers:read", "starter");
    let (_, partner_key) = p.tenant_with_key("partner", "read", "starter");

    // No key: 401 invalid_token, WWW-Authenticate, body id = header id.
    let (status, headers, body) = json(
        p.get("admin.localhost", "/api/v1/customers", None)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_token");
    assert!(
        headers["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer")
    );
    assert_eq!(
        body["error"]["request_id"],
        headers["x-request-id"].to_str().unwrap()
    );

    // A partner key on the admin API: 401.
    let (status, _, body) = json(
        p.get(
            "api.sumeru.systems",
            "/api/v1/customers",
            Some(&partner_key),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(status, 401, "{body}");

    // A valid key without the scope: the upstream's 403 naming the scope.
    let (status, headers, body) = json(
        p.get("admin.localhost", "/api/v1/orders", Some(&key))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "insufficient_scope");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("orders:read")
    );
    assert!(
        headers.contains_key("x-ratelimit-limit"),
        "rate-limit headers on errors too"
    );

    // Unknown host or path: 404 in the envelope.
    let (status, _, body) = json(
        p.get("unknown.example", "/api/v1/customers", Some(&key))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );

    // A caller-supplied request id is kept end to end.
    let res = p
        .get("admin.localhost", "/api/v1/customers", Some(&key))
        .header("x-request-id", "req_blackbox_0001")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-request-id"], "req_blackbox_0001");

    // The internal port serves Prometheus metrics that saw these requests.
    let metrics = p
        .http
        .get(format!("{}/metrics", p.gateway_internal))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(text.contains("# TYPE"), "{text}");

    // Revocation takes effect within a second.
    let keys = p.authctl(&["key", "list"]);
    let listed = keys
        .as_array()
        .or_else(|| keys["data"].as_array())
        .expect("key list");
    let key_id = listed
        .iter()
        .find(|k| k["scopes"] == serde_json::json!(["customers:read"]))
        .expect("the admin key is listed")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    p.authctl(&["key", "revoke", &key_id]);
    let revoked_at = Instant::now();
    loop {
        let res = p
            .get("admin.localhost", "/api/v1/customers", Some(&key))
            .send()
            .await
            .unwrap();
        if res.status() == 401 {
            break;
        }
        assert!(
            revoked_at.elapsed() < Duration::from_secs(1),
            "revoked key still accepted after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
