//! Routing by host and path, what the upstream receives, and the headers the client gets.

use crate::support::{Gateway, Platform, assert_error};
use auth_core::jwt::JwtVerifier;
use serde_json::Value;

#[tokio::test]
async fn routes_by_host_and_path_and_forwards_an_internal_jwt_never_the_key() {
    let p = Platform::start().await;
    let gw = Gateway::start(p.config()).await;
    let admin = p.mint("admin", &["customers:read"], "starter").await;

    let res = gw
        .get("admin.localhost:8080", "/api/v1/customers?limit=10")
        .bearer_auth(&admin.key)
        .header("x-request-id", "req_fromtheclient01")
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["x-request-id"], "req_fromtheclient01");
    for name in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "ratelimit-policy",
        "ratelimit",
    ] {
        assert!(h.contains_key(name), "missing {name}: {h:?}");
    }
    let reset: i64 = h["x-ratelimit-reset"].to_str().unwrap().parse().unwrap();
    assert!(reset > 1_700_000_000, "Reset is epoch seconds: {reset}");
    assert!(h["ratelimit-policy"].to_str().unwrap().contains(";q="));
    assert!(h["ratelimit"].to_str().unwrap().contains(";r="));

    let echo: Value = res.json().await.unwrap();
    assert_eq!(echo["path"], "/api/v1/customers");
    assert_eq!(echo["query"], "limit=10");
    let up = &echo["headers"];
    assert_eq!(up["x-request-id"], "req_fromtheclient01");
    assert!(
        up["traceparent"]
            .as_str()
            .unwrap()
            .starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-")
    );
    assert_eq!(up["x-forwarded-for"], "127.0.0.1");
    assert_eq!(up["x-forwarded-proto"], "http");
    assert_eq!(up["x-forwarded-host"], "admin.localhost:8080");
    let authz = up["authorization"].as_str().unwrap();
    assert!(!authz.contains(&admin.key));
    assert!(
        !echo.to_string().contains(&admin.key),
        "the raw key reached the upstream"
    );
    let jwt = authz.strip_prefix("Bearer ").unwrap();
    let principal = JwtVerifier::remote(p.jwks_url(), "admin-api")
        .verify(jwt)
        .await
        .unwrap();
    assert_eq!(principal.tenant_id.to_string(), admin.tenant_id);
    assert_eq!(principal.key_id, admin.id);

    // Partner host: API with a partner key, ingest without any.
    let partner = p.mint("partner", &["read"], "starter").await;
    let res = gw
        .get("api.sumidata.io", "/api/partner/events")
        .bearer_auth(&partner.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let echo: Value = res.json().await.unwrap();
    let jwt = echo["headers"]["authorization"]
        .as_str()
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap()
        .to_owned();
    JwtVerifier::remote(p.jwks_url(), "partner-api")
        .verify(&jwt)
        .await
        .unwrap();

    let res = gw
        .post("partner.localhost", "/sdk/ingest")
        .header("authorization", "Bearer sumi_live_not_forwarded_anyway")
        .body(r#"{"projectId":"proj_x","events":[]}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-ratelimit-limit"));
    let echo: Value = res.json().await.unwrap();
    assert_eq!(echo["path"], "/sdk/ingest");
    assert_eq!(echo["body_length"], 34);
    assert!(echo["headers"].get("authorization").is_none(), "{echo}");

    // Generation: the OpenAPI document is public, the rest needs a generation key.
    let res = gw
        .get("www.sume.so", "/api/v1/openapi.json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let gen_key = p.mint("generation", &["read", "generate"], "starter").await;
    let res = gw
        .get("gen.localhost", "/api/v1/jobs")
        .bearer_auth(&gen_key.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let echo: Value = res.json().await.unwrap();
    let jwt = echo["headers"]["authorization"]
        .as_str()
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap()
        .to_owned();
    JwtVerifier::remote(p.jwks_url(), "generation-api")
        .verify(&jwt)
        .await
        .unwrap();

    // Unknown host (admin dialect) and unknown path of a generation host (generation dialect).
    let res = gw
        .get("evil.example", "/api/v1/customers")
        .bearer_auth(&admin.key)
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "not_found", false).await;
    let res = gw
        .get("gen.localhost", "/api/partner/events")
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "not_found", true).await;
    // The admin key is a different product on the generation host.
    let res = gw
        .get("gen.localhost", "/api/v1/jobs")
        .bearer_auth(&admin.key)
        .send()
        .await
        .unwrap();
    assert_error(res, 401, "invalid_token", true).await;
}

#[tokio::test]
async fn upstream_errors_pass_through_with_rate_limit_headers() {
    let p = Platform::start().await;
    let gw = Gateway::start(p.config()).await;
    let admin = p.mint("admin", &["customers:read"], "starter").await;
    // The upstream's own 403 (the gateway does not check scopes) reaches the client.
    let res = gw
        .get("admin.localhost", "/api/v1/status?code=403")
        .bearer_auth(&admin.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.headers().contains_key("x-ratelimit-remaining"));
    assert!(res.headers().contains_key("x-request-id"));
    let res = gw
        .get("admin.localhost", "/api/v1/status?code=500")
        .bearer_auth(&admin.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    assert!(res.headers().contains_key("x-ratelimit-remaining"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "upstream_says_no");

    // Bodiless answers keep their framing: HEAD (with the upstream's length) and 204.
    let res = testkit::http()
        .head(gw.url("/api/v1/customers"))
        .header("host", "admin.localhost")
        .bearer_auth(&admin.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let length: u64 = res.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(length > 0, "HEAD keeps the upstream's Content-Length");
    assert!(res.bytes().await.unwrap().is_empty());
    let res = gw
        .get("admin.localhost", "/api/v1/status?code=204")
        .bearer_auth(&admin.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert!(res.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_host_listener_routes_every_request_as_its_host() {
    let p = Platform::start().await;
    let mut config = p.config();
    config.host_listeners = vec![
        gateway::config::HostListener {
            listen: "127.0.0.1:0".into(),
            host: "admin.localhost".into(),
        },
        gateway::config::HostListener {
            listen: "127.0.0.1:0".into(),
            host: "partner.localhost".into(),
        },
    ];
    let gw = Gateway::start(config).await;
    assert_eq!(gw.host_ports.len(), 2);
    let (admin_port, partner_port) = (gw.host_ports[0].0, gw.host_ports[1].0);
    assert_eq!(gw.host_ports[0].1, "admin.localhost");
    let admin = p.mint("admin", &["customers:read"], "starter").await;
    let partner = p.mint("partner", &["read"], "starter").await;

    // What Node's fetch sends: Host = 127.0.0.1:<port>, which no route names.
    let res = testkit::http()
        .get(format!(
            "http://127.0.0.1:{admin_port}/api/v1/customers?limit=1"
        ))
        .bearer_auth(&admin.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-ratelimit-limit"));
    let echo: Value = res.json().await.unwrap();
    assert_eq!(echo["path"], "/api/v1/customers");
    let jwt = echo["headers"]["authorization"]
        .as_str()
        .unwrap()
        .strip_prefix("Bearer ")
        .unwrap()
        .to_owned();
    let principal = JwtVerifier::remote(p.jwks_url(), "admin-api")
        .verify(&jwt)
        .await
        .unwrap();
    assert_eq!(principal.key_id, admin.id);

    // The listener's host wins over the Host header: a partner key is refused on
    // the admin listener even when the request names the partner host.
    let res = testkit::http()
        .get(format!("http://127.0.0.1:{admin_port}/api/partner/events"))
        .header("host", "partner.localhost")
        .bearer_auth(&partner.key)
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "not_found", false).await;

    // The partner listener: its API with a bearer key, ingest without one.
    let res = testkit::http()
        .get(format!(
            "http://127.0.0.1:{partner_port}/api/partner/events"
        ))
        .bearer_auth(&partner.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = testkit::http()
        .post(format!("http://127.0.0.1:{partner_port}/sdk/ingest"))
        .json(&serde_json::json!({"projectId": "x", "events": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The main listener still routes by Host; an IP Host matches nothing there.
    let res = testkit::http()
        .get(gw.url("/api/v1/customers"))
        .bearer_auth(&admin.key)
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "not_found", false).await;
}

#[tokio::test]
async fn a_static_site_serves_the_reference_pages_and_nothing_outside_its_directory() {
    let p = Platform::start().await;
    let root = std::env::temp_dir().join(testkit::unique("gwstatic"));
    let site = root.join("developers");
    std::fs::create_dir_all(site.join("api/v1-admin")).unwrap();
    std::fs::write(
        site.join("api/v1-admin/index.html"),
        "<h1>Admin reference</h1>",
    )
    .unwrap();
    std::fs::write(site.join("api/v1-admin/openapi.json"), "{}").unwrap();
    std::fs::write(root.join("secret.txt"), "outside").unwrap();
    std::fs::write(site.join(".hidden"), "hidden").unwrap();
    let mut config = p.config();
    config.static_sites = vec![gateway::config::StaticSiteConfig {
        hosts: vec!["admin.localhost".into()],
        path: "/developers/".into(),
        dir: site.to_string_lossy().into_owned(),
    }];
    config.host_listeners = vec![gateway::config::HostListener {
        listen: "127.0.0.1:0".into(),
        host: "admin.localhost".into(),
    }];
    let gw = Gateway::start(config).await;

    let res = gw
        .get("admin.localhost:8080", "/developers/api/v1-admin/")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/html; charset=utf-8");
    assert!(res.headers().contains_key("x-request-id"));
    assert!(!res.headers().contains_key("x-ratelimit-limit"));
    assert_eq!(res.text().await.unwrap(), "<h1>Admin reference</h1>");
    // Through the host listener too (what a browser on 127.0.0.1:8081 gets).
    let res = testkit::http()
        .get(format!(
            "http://127.0.0.1:{}/developers/api/v1-admin/openapi.json",
            gw.host_ports[0].0
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_redirects
        .get(gw.url("/developers/api/v1-admin"))
        .header("host", "admin.localhost")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers()["location"], "/developers/api/v1-admin/");

    for path in [
        "/developers/api/v1-admin/missing.html",
        "/developers/.hidden",
        "/developers/%2e%2e/secret.txt",
        "/developers/api/..%2f..%2fsecret.txt",
    ] {
        let res = gw.get("admin.localhost", path).send().await.unwrap();
        assert_error(res, 404, "not_found", false).await;
    }
    let res = gw
        .post("admin.localhost", "/developers/api/v1-admin/")
        .send()
        .await
        .unwrap();
    assert_error(res, 405, "method_not_allowed", false).await;
    // Other hosts and paths still go through the route table.
    let res = gw
        .get("partner.localhost", "/developers/api/v1-admin/")
        .send()
        .await
        .unwrap();
    assert_error(res, 404, "not_found", false).await;
    std::fs::remove_dir_all(&root).unwrap();
}
