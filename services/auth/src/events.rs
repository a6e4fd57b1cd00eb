//! Revocation events on Redis pub/sub.
//!
//! Every revocation and every roll publishes one message on the channel
//! `revocation_channel` (default `auth:revocations`): a JSON object
//! [`RevocationEvent`] carrying the key id and the key hash, so a gateway can
//! evict its cache entry whichever it keys by. Publishing happens after the
//! database commit; if Redis is down the event is lost and caches fall back to
//! their TTL (≤ `gateway_cache_ttl_seconds`), which is logged.
//!
//! The service subscribes to the same channel itself so that every auth
//! replica evicts its in-process key cache too.

use crate::cache::KeyCache;
use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use serde::{Deserialize, Serialize};
use std::{sync::Arc, time::Duration};

/// The message published on `auth:revocations`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RevocationEvent {
    /// `key_…`
    pub key_id: String,
    /// SHA-256 of the whole key, lowercase hex (as `auth_core::key::hash`).
    pub key_hash: String,
    /// `revoked` or `rolled`.
    pub reason: String,
    /// Unix seconds from which the key is refused (in the future for a roll's grace period).
    pub effective_at: i64,
}

#[derive(Clone)]
pub struct Publisher {
    conn: ConnectionManager,
    channel: String,
}

impl Publisher {
    pub async fn connect(url: &str, channel: &str) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(2);
        let conn = ConnectionManager::new_with_config(client, config).await?;
        Ok(Self {
            conn,
            channel: channel.to_owned(),
        })
    }

    pub async fn publish(&self, event: &RevocationEvent) {
        let payload = match serde_json::to_string(event) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode revocation event");
                return;
            }
        };
        let mut conn = self.conn.clone();
        let result: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(&self.channel)
            .arg(payload)
            .query_async(&mut conn)
            .await;
        match result {
            Ok(receivers) => {
                tracing::info!(key_id = %event.key_id, reason = %event.reason, receivers, "revocation published")
            }
            Err(e) => tracing::error!(
                key_id = %event.key_id,
                error = %e,
                "revocation event NOT published; caches expire by TTL"
            ),
        }
    }

    pub async fn ping(&self) -> redis::RedisResult<()> {
        let mut conn = self.conn.clone();
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(|_| ())
    }
}

/// Evicts this replica's cache on every event; reconnects forever with a back-off.
pub async fn run_subscriber(url: String, channel: String, cache: Arc<KeyCache>) {
    let mut delay = Duration::from_millis(200);
    loop {
        match subscribe_once(&url, &channel, &cache).await {
            Ok(()) => tracing::warn!("revocation subscription ended; reconnecting"),
            Err(e) => tracing::warn!(error = %e, "revocation subscription failed; retrying"),
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

async fn subscribe_once(url: &str, channel: &str, cache: &KeyCache) -> redis::RedisResult<()> {
    let client = redis::Client::open(url)?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    let mut messages = pubsub.on_message();
    while let Some(msg) = messages.next().await {
        match serde_json::from_slice::<RevocationEvent>(msg.get_payload_bytes()) {
            Ok(event) => cache.evict(&event.key_hash),
            Err(e) => tracing::warn!(error = %e, "ignoring malformed revocation event"),
        }
    }
    Ok(())
}
