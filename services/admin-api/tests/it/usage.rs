//! `GET /api/v1/usage`: 503 `upstream_unavailable` when ratelimit is down; the
//! key's counters from a real ratelimit-service process when its binary is built.

use crate::helpers::TestApp;
use rpc::ratelimit::{Descriptor, RateLimitRequest, rate_limit_client::RateLimitClient};
use testkit::process::{ServiceProcess, free_port};

#[tokio::test]
async fn usage_is_503_when_ratelimit_is_unreachable() {
    let app = TestApp::spawn().await;
    let shop = app.shop();
    let r = app.get(&shop, "/api/v1/usage").await;
    r.assert_error(503, "upstream_unavailable");
    assert_eq!(r.header("x-sumeru-stability"), Some("stable"));
}

/// `target/debug/ratelimit-service` beside this test binary, if built.
fn ratelimit_binary_built() -> bool {
    if std::env::var_os("PLATFORM_BIN_DIR").is_some() {
        return true;
    }
    std::env::current_exe()
        .ok()
        .and_then(|e| {
            e.parent()
                .and_then(|d| d.parent())
                .map(|d| d.join("ratelimit-service"))
        })
        .is_some_and(|p| p.exists())
}

#[tokio::test]
async fn usage_reads_the_keys_counters_from_ratelimit() {
    if !ratelimit_binary_built() {
        eprintln!("ratelimit-service not built: only the 503 path is tested");
        return;
    }
    let grpc = free_port();
    let http = free_port();
    let _rl = ServiceProcess::spawn(
        "ratelimit-service",
        &["serve"],
        &[
            ("RATELIMIT__GRPC_LISTEN", format!("127.0.0.1:{grpc}")),
            ("RATELIMIT__LISTEN", format!("127.0.0.1:{http}")),
            ("RATELIMIT__REDIS__URL", testkit::redis_url()),
            ("RATELIMIT__PREFIX", testkit::unique("adm")),
        ],
        &format!("http://127.0.0.1:{http}/healthz"),
    )
    .await;
    let app = TestApp::spawn_with(|c| c.ratelimit_url = format!("http://127.0.0.1:{grpc}")).await;
    let shop = app.shop();
    // Spend three requests for this key, as the gateway would.
    let mut client = RateLimitClient::connect(format!("http://127.0.0.1:{grpc}"))
        .await
        .unwrap();
    for _ in 0..3 {
        client
            .should_rate_limit(RateLimitRequest {
                descriptor: Some(Descriptor {
                    subject: shop.principal.key_id.clone(),
                    tier: shop.principal.tier.clone(),
                    route_class: "read".into(),
                }),
                hits: 1,
                check_only: false,
                requests: 1,
                report_only: false,
            })
            .await
            .unwrap();
    }
    let r = app.get(&shop, "/api/v1/usage").await;
    r.assert(200);
    let d = &r.body["data"];
    assert_eq!(d["type"], "usage");
    assert_eq!(d["id"], shop.principal.key_id.as_str());
    let a = &d["attributes"];
    assert_eq!(a["tier"], "starter");
    assert_eq!(a["requests_today"], 3);
    assert_eq!(a["requests_this_month"], 3);
    assert_eq!(a["refused_today"], 0);
    assert!(a["rate_limit"]["limit"].as_u64().unwrap() > 0);
    assert!(a["rate_limit"]["remaining"].as_u64().unwrap() > 0);
    assert_eq!(a["rate_limit"]["route_class"], "read");
    // Another key of the same shop has its own counters.
    let other = app.key_of(&shop, &[]);
    let r = app.get(&other, "/api/v1/usage").await;
    r.assert(200);
    assert_eq!(r.body["data"]["attributes"]["requests_today"], 0);
}
