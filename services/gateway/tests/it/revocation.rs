//! Revocations published by auth evict the gateway's cache at once.

use crate::support::{Gateway, Platform, assert_error};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_revoked_key_is_refused_within_one_second() {
    let p = Platform::start().await;
    let gw = Gateway::start(p.config()).await;
    let key = p.mint("admin", &["customers:read"], "starter").await;
    // Cached now (auth's cache TTL is far longer than this test).
    for _ in 0..2 {
        let res = gw
            .get("admin.localhost", "/api/v1/customers")
            .bearer_auth(&key.key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    p.revoke(&key.id).await;
    let revoked_at = Instant::now();
    let mut last = 0;
    while revoked_at.elapsed() < Duration::from_secs(1) {
        let res = gw
            .get("admin.localhost", "/api/v1/customers")
            .bearer_auth(&key.key)
            .send()
            .await
            .unwrap();
        last = res.status().as_u16();
        if last == 401 {
            assert_error(res, 401, "invalid_token", false).await;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(last, 401, "still accepted 1 s after the revocation");

    let metrics = gw.metrics().await;
    assert!(metrics.contains("gateway_revocations_total 1"), "{metrics}");
    assert!(
        metrics.contains("gateway_auth_cache_total{result=\"hit\"} 1"),
        "{metrics}"
    );
}
