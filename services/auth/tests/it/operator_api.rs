//! The operator HTTP API: authentication, validation codes, pagination, health.

use crate::TestApp;
use serde_json::{Value, json};

/// (method, path, body, status, code, details.field)
type Case = (
    &'static str,
    String,
    String,
    u16,
    &'static str,
    Option<&'static str>,
);

async fn raw(
    app: &TestApp,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<&str>,
) -> (u16, Value, Option<String>) {
    let mut req = app
        .http
        .request(method.parse().unwrap(), format!("{}{path}", app.base));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_owned());
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let rid = res
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, res.json().await.unwrap_or(Value::Null), rid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_token_is_required() {
    let app = TestApp::spawn().await;
    for auth in [
        None,
        Some("Bearer wrong-token"),
        Some("Basic aXQ6aXQ="),
        Some("Bearer "),
    ] {
        for (method, path, body) in [
            ("GET", "/v1/tenants", None),
            (
                "POST",
                "/v1/tenants",
                Some(r#"{"product":"admin","name":"x"}"#),
            ),
            ("POST", "/v1/keys", Some("{not json")),
            ("POST", "/v1/signing-keys/rotate", Some("{}")),
            ("GET", "/v1/no-such-route", None),
        ] {
            let (status, body, rid) = raw(&app, method, path, auth, body).await;
            assert_eq!(status, 401, "{method} {path} {auth:?}: {body}");
            assert_eq!(body["error"]["code"], "invalid_token");
            assert_eq!(body["error"]["request_id"].as_str(), rid.as_deref());
        }
    }
    // Public endpoints need no token.
    for path in ["/healthz", "/readyz", "/.well-known/jwks.json"] {
        assert_eq!(raw(&app, "GET", path, None, None).await.0, 200, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_precise_codes() {
    let app = TestApp::spawn().await;
    let admin = app.tenant("admin").await;
    let gen_tenant = app.tenant("generation").await;
    let user = app.user(gen_tenant["id"].as_str().unwrap()).await;
    let (aid, gid, uid) = (
        admin["id"].as_str().unwrap(),
        gen_tenant["id"].as_str().unwrap(),
        user["id"].as_str().unwrap(),
    );
    let auth = Some("Bearer it-operator-token");

    let cases: Vec<Case> = vec![
        (
            "POST",
            "/v1/tenants".into(),
            "{not json".into(),
            400,
            "invalid_json",
            None,
        ),
        (
            "POST",
            "/v1/tenants".into(),
            "[1,2]".into(),
            400,
            "invalid_request",
            None,
        ),
        (
            "POST",
            "/v1/tenants".into(),
            r#"{"name":"x"}"#.into(),
            400,
            "validation_failed",
            Some("product"),
        ),
        (
            "POST",
            "/v1/tenants".into(),
            r#"{"product":"shop","name":"x"}"#.into(),
            400,
            "validation_failed",
            Some("product"),
        ),
        (
            "POST",
            "/v1/tenants".into(),
            r#"{"product":"admin","name":"  "}"#.into(),
            400,
            "validation_failed",
            Some("name"),
        ),
        (
            "POST",
            "/v1/tenants".into(),
            r#"{"product":"admin","name":5}"#.into(),
            400,
            "validation_failed",
            Some("name"),
        ),
        (
            "POST",
            "/v1/tenants".into(),
            r#"{"product":"admin","name":"x","tier":"Gold Plus"}"#.into(),
            400,
            "validation_failed",
            Some("tier"),
        ),
        (
            "POST",
            "/v1/tenants".into(),
            r#"{"product":"admin","name":"x","id":"mine"}"#.into(),
            400,
            "validation_failed",
            Some("id"),
        ),
        (
            "POST",
            format!("/v1/tenants/{aid}/users"),
            r#"{"email":"a@example.com"}"#.into(),
            409,
            "invalid_state",
            None,
        ),
        (
            "POST",
            format!("/v1/tenants/{gid}/users"),
            r#"{"email":"not-an-email"}"#.into(),
            400,
            "validation_failed",
            Some("email"),
        ),
        (
            "POST",
            format!("/v1/tenants/{gid}/users"),
            format!(
                r#"{{"email":"{}"}}"#,
                user["email"].as_str().unwrap().to_uppercase()
            ),
            409,
            "conflict",
            Some("email"),
        ),
        (
            "POST",
            "/v1/tenants/not-a-uuid/users".into(),
            r#"{"email":"a@example.com"}"#.into(),
            404,
            "not_found",
            None,
        ),
        (
            "POST",
            "/v1/keys".into(),
            r#"{"name":"k","scopes":["read"]}"#.into(),
            400,
            "validation_failed",
            Some("tenant_id"),
        ),
        (
            "POST",
            "/v1/keys".into(),
            r#"{"tenant_id":"nope","name":"k","scopes":["read"]}"#.into(),
            400,
            "validation_failed",
            Some("tenant_id"),
        ),
        (
            "POST",
            "/v1/keys".into(),
            format!(
                r#"{{"tenant_id":"{}","name":"k","scopes":["read"]}}"#,
                uuid::Uuid::now_v7()
            ),
            400,
            "validation_failed",
            Some("tenant_id"),
        ),
        (
            "POST",
            "/v1/keys".into(),
            format!(r#"{{"tenant_id":"{aid}","name":"k","scopes":["generate"]}}"#),
            400,
            "validation_failed",
            Some("scopes"),
        ),
        (
            "POST",
            "/v1/keys".into(),
            format!(r#"{{"tenant_id":"{aid}","name":"k","scopes":[]}}"#),
            400,
            "validation_failed",
            Some("scopes"),
        ),
        (
            "POST",
            "/v1/keys".into(),
            format!(r#"{{"tenant_id":"{aid}","name":"k","scopes":"customers:read"}}"#),
            400,
            "validation_failed",
            Some("scopes"),
        ),
        (
            "POST",
            "/v1/keys".into(),
            format!(
                r#"{{"tenant_id":"{aid}","name":"k","scopes":["customers:read"],"env":"prod"}}"#
            ),
            400,
            "validation_failed",
            Some("env"),
        ),
        (
            "POST",
            "/v1/keys".into(),
            format!(
                r#"{{"tenant_id":"{aid}","name":"k","scopes":["customers:read"],"expires_in_days":0}}"#
            ),
            400,
            "validation_failed",
            Some("expires_in_days"),
        ),
        (
            "POST",
            "/v1/keys".into(),
            format!(
                r#"{{"tenant_id":"{aid}","name":"k","scopes":["customers:read"],"expires_in_days":-3}}"#
            ),
            400,
            "validation_failed",
            Some("expires_in_days"),
        ),
        (
            "POST",
            "/v1/keys".into(),
            format!(
                r#"{{"tenant_id":"{aid}","name":"k","scopes":["customers:read"],"expires_at":"2020-01-01T00:00:00Z"}}"#
            ),
            400,
            "validation_failed",
            Some("expires_at"),
        ),
        (
            "POST",
            "/v1/keys".into(),
            format!(
                r#"{{"tenant_id":"{aid}","name":"k","scopes":["customers:read"],"user_id":"{uid}"}}"#
            ),
            400,
            "validation_failed",
            Some("user_id"),
        ),
        (
            "POST",
            "/v1/keys".into(),
            format!(r#"{{"tenant_id":"{gid}","name":"k","scopes":["read"]}}"#),
            400,
            "validation_failed",
            Some("user_id"),
        ),
        (
            "POST",
            "/v1/keys".into(),
            format!(
                r#"{{"tenant_id":"{gid}","name":"k","scopes":["read"],"user_id":"usr_0123456789abcdef0123456789abcdef"}}"#
            ),
            400,
            "validation_failed",
            Some("user_id"),
        ),
        (
            "POST",
            "/v1/keys".into(),
            format!(
                r#"{{"tenant_id":"{gid}","name":"k","scopes":["customers:read"],"user_id":"{uid}"}}"#
            ),
            400,
            "validation_failed",
            Some("scopes"),
        ),
        (
            "POST",
            "/v1/keys/key_0123456789abcdef0123456789abcdef/revoke".into(),
            "{}".into(),
            404,
            "not_found",
            None,
        ),
        (
            "POST",
            "/v1/keys/nonsense/roll".into(),
            "{}".into(),
            404,
            "not_found",
            None,
        ),
        (
            "GET",
            "/v1/keys?limit=0".into(),
            String::new(),
            400,
            "validation_failed",
            Some("limit"),
        ),
        (
            "GET",
            "/v1/keys?cursor=forged".into(),
            String::new(),
            400,
            "invalid_cursor",
            None,
        ),
        (
            "GET",
            "/v1/keys?tenant_id=x".into(),
            String::new(),
            400,
            "validation_failed",
            None,
        ),
        (
            "GET",
            "/v1/keys?sort=name".into(),
            String::new(),
            400,
            "invalid_request",
            None,
        ),
        (
            "GET",
            "/v1/tenants?product=shop".into(),
            String::new(),
            400,
            "validation_failed",
            None,
        ),
        (
            "GET",
            "/v1/tenants/00000000-0000-0000-0000-000000000000".into(),
            String::new(),
            404,
            "not_found",
            None,
        ),
        (
            "DELETE",
            "/v1/tenants".into(),
            String::new(),
            405,
            "method_not_allowed",
            None,
        ),
    ];
    for (method, path, body, status, code, field) in cases {
        let (got, resp, _) = raw(
            &app,
            method,
            &path,
            auth,
            (!body.is_empty()).then_some(body.as_str()),
        )
        .await;
        assert_eq!(
            (got, resp["error"]["code"].as_str()),
            (status, Some(code)),
            "{method} {path} {body}: {resp}"
        );
        if let Some(f) = field {
            // body fields are named in details.field, query parameters in details.parameter
            let named = &resp["error"]["details"];
            assert_eq!(
                named["field"].as_str().or(named["parameter"].as_str()),
                Some(f),
                "{method} {path} {body}: {resp}"
            );
        }
    }
    // The foreign scope is named.
    let (_, resp, _) = raw(
        &app,
        "POST",
        "/v1/keys",
        auth,
        Some(&format!(
            r#"{{"tenant_id":"{aid}","name":"k","scopes":["customers:read","generate"]}}"#
        )),
    )
    .await;
    assert_eq!(resp["error"]["details"]["scope"], "generate");
    assert!(
        resp["error"]["message"]
            .as_str()
            .unwrap()
            .contains("generate")
    );
    // Oversized bodies.
    let big = format!(
        r#"{{"product":"admin","name":"{}"}}"#,
        "x".repeat(64 * 1024)
    );
    let (status, resp, _) = raw(&app, "POST", "/v1/tenants", auth, Some(&big)).await;
    assert_eq!(
        (status, resp["error"]["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    // Grace beyond 30 days; a revoked key cannot be rolled.
    let (_, key) = app.tenant_and_key("admin").await;
    let kid = key["id"].as_str().unwrap();
    let (status, resp) = app
        .post(
            &format!("/v1/keys/{kid}/roll"),
            json!({ "grace_seconds": 99_999_999 }),
        )
        .await;
    assert_eq!(
        (status, resp["error"]["details"]["field"].as_str()),
        (400, Some("grace_seconds"))
    );
    app.post(&format!("/v1/keys/{kid}/revoke"), json!({})).await;
    let (status, resp) = app.post(&format!("/v1/keys/{kid}/roll"), json!({})).await;
    assert_eq!(
        (status, resp["error"]["code"].as_str()),
        (409, Some("invalid_state"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_page_with_signed_cursors() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            app.tenant("partner").await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    app.tenant("admin").await;
    let mut seen = Vec::new();
    let mut path = "/v1/tenants?product=partner&limit=2".to_owned();
    loop {
        let (status, page) = app.get(&path).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned()),
        );
        match page["pagination"]["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(page["pagination"]["has_next"], true);
                // A cursor replayed with other filters is refused.
                let (status, _) = app
                    .get(&format!("/v1/tenants?product=admin&limit=2&cursor={c}"))
                    .await;
                assert_eq!(status, 400);
                path = format!("/v1/tenants?product=partner&limit=2&cursor={c}");
            }
            None => break,
        }
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, each once");

    let tid = ids[0].clone();
    let gen_tenant = app.tenant("generation").await;
    let g = gen_tenant["id"].as_str().unwrap();
    for _ in 0..3 {
        app.user(g).await;
    }
    let (status, users) = app.get(&format!("/v1/tenants/{g}/users?limit=2")).await;
    assert_eq!(status, 200);
    assert_eq!(users["data"].as_array().unwrap().len(), 2);
    assert_eq!(users["pagination"]["has_next"], true);
    let (status, one) = app.get(&format!("/v1/tenants/{tid}")).await;
    assert_eq!((status, one["kind"].as_str()), (200, Some("project")));
}
