//! Revocation events on Redis pub/sub, and cache eviction across replicas.

use crate::{TestApp, error_of};
use auth_service::events::RevocationEvent;
use futures_util::StreamExt;
use rpc::auth::{AuthError, AuthenticateRequest, Product, auth_client::AuthClient};
use serde_json::json;
use std::time::Duration;

async fn next_event(
    stream: &mut (impl futures_util::Stream<Item = redis::Msg> + Unpin),
) -> RevocationEvent {
    let msg = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("an event within 5 s")
        .expect("subscription open");
    serde_json::from_slice(msg.get_payload_bytes()).expect("event JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_and_roll_publish_the_key_id_and_hash() {
    let app = TestApp::spawn().await;
    let client = redis::Client::open(testkit::redis_url()).unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub.subscribe(&app.channel).await.unwrap();
    let mut stream = pubsub.on_message();

    let (_, key) = app.tenant_and_key("admin").await;
    let token = key["key"].as_str().unwrap();
    let (status, _) = app
        .post(
            &format!("/v1/keys/{}/revoke", key["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let event = next_event(&mut stream).await;
    assert_eq!(event.key_id, key["id"].as_str().unwrap());
    assert_eq!(event.key_hash, auth_core::key::hash(token));
    assert_eq!(event.reason, "revoked");
    assert!(event.effective_at <= auth_core::jwt::now());

    let (_, key2) = app.tenant_and_key("partner").await;
    let (status, _) = app
        .post(
            &format!("/v1/keys/{}/roll", key2["id"].as_str().unwrap()),
            json!({ "grace_seconds": 60 }),
        )
        .await;
    assert_eq!(status, 201);
    let event = next_event(&mut stream).await;
    assert_eq!(event.key_id, key2["id"].as_str().unwrap());
    assert_eq!(
        event.key_hash,
        auth_core::key::hash(key2["key"].as_str().unwrap())
    );
    assert_eq!(event.reason, "rolled");
    assert!(event.effective_at >= auth_core::jwt::now() + 50);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_on_one_replica_evicts_the_cache_of_another() {
    let app = TestApp::spawn().await;
    let mut config = app.state.config.clone();
    config.listen = "127.0.0.1:0".into();
    config.grpc_listen = "127.0.0.1:0".into();
    config.key_cache_ttl_ms = 600_000;
    let replica = auth_service::Application::build(config).await.unwrap();
    let replica_url = format!("http://127.0.0.1:{}", replica.grpc_port());
    let replica_state = replica.state();
    tokio::spawn(replica.run_until_stopped());
    // Let the replica's subscriber attach.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let (_, key) = app.tenant_and_key("admin").await;
    let token = key["key"].as_str().unwrap().to_owned();
    let ask = || {
        let url = replica_url.clone();
        let token = token.clone();
        async move {
            AuthClient::connect(url)
                .await
                .unwrap()
                .authenticate(AuthenticateRequest {
                    token,
                    product: Product::Admin as i32,
                    audience: "admin-api".into(),
                })
                .await
                .unwrap()
                .into_inner()
        }
    };
    assert_eq!(error_of(&ask().await), AuthError::Unspecified);
    assert_eq!(error_of(&ask().await), AuthError::Unspecified);
    assert_eq!(
        replica_state
            .stats
            .cache_hits
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );

    let (status, _) = app
        .post(
            &format!("/v1/keys/{}/revoke", key["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let mut refused = false;
    for _ in 0..50 {
        if error_of(&ask().await) == AuthError::Revoked {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        refused,
        "the replica kept serving a revoked key from its cache"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_keys_still_authenticate_and_revoke() {
    // Port 1 on loopback: connection refused.
    let app = TestApp::spawn_with(|c| {
        c.redis.url = service_kit::config::SecretUrl::new("redis://127.0.0.1:1")
    })
    .await;
    let res = app
        .http
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let ready: serde_json::Value = res.json().await.unwrap();
    assert_eq!(
        (
            status,
            ready["status"].as_str(),
            ready["checks"]["redis"].as_str()
        ),
        (200, Some("degraded"), Some("unavailable")),
        "{ready}"
    );
    let (_, key) = app.tenant_and_key("admin").await;
    let token = key["key"].as_str().unwrap();
    assert_eq!(
        error_of(&app.authenticate(token, Product::Admin).await),
        AuthError::Unspecified
    );
    let (status, _) = app
        .post(
            &format!("/v1/keys/{}/revoke", key["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(
        status, 200,
        "the revocation stands even when the event cannot be sent"
    );
    assert_eq!(
        error_of(&app.authenticate(token, Product::Admin).await),
        AuthError::Revoked
    );
}
