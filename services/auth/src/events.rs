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
//! replica evicts its in-process key cache too; on every (re)subscription it
//! clears that cache, since events sent while it was disconnected are lost.
//!
//! Redis is not needed to authenticate: the publisher connects lazily, auth
//! starts and serves while Redis is down, and `/readyz` reports Redis as
//! `degraded` without failing.

use crate::cache::KeyCache;
use auth_core::revocation::RevocationSink;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::{sync::Arc, time::Duration};

pub use auth_core::revocation::RevocationEvent;

/// Publishes revocation events. Connects lazily and reconnects on demand, so
/// auth starts and keeps authenticating while Redis is down.
pub struct Publisher {
    client: redis::Client,
    conn: tokio::sync::Mutex<Option<ConnectionManager>>,
    channel: String,
}

impl Publisher {
    /// Parses the URL and tries to connect once; a failure is logged, not fatal.
    pub async fn new(url: &str, channel: &str) -> redis::RedisResult<Self> {
        let publisher = Self {
            client: redis::Client::open(url)?,
            conn: tokio::sync::Mutex::new(None),
            channel: channel.to_owned(),
        };
        if let Err(e) = publisher.conn().await {
            tracing::warn!(error = %e, "Redis unreachable at start-up; revocation events will be retried on demand");
        }
        Ok(publisher)
    }

    async fn conn(&self) -> redis::RedisResult<ConnectionManager> {
        let mut slot = self.conn.lock().await;
        if let Some(conn) = slot.as_ref() {
            return Ok(conn.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1);
        let conn = tokio::time::timeout(
            Duration::from_secs(3),
            ConnectionManager::new_with_config(self.client.clone(), config),
        )
        .await
        .map_err(|_| {
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut))
        })??;
        *slot = Some(conn.clone());
        Ok(conn)
    }

    pub async fn publish(&self, event: &RevocationEvent) {
        let payload = match serde_json::to_string(event) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "cannot encode revocation event");
                return;
            }
        };
        let result: redis::RedisResult<i64> = match self.conn().await {
            Ok(mut conn) => {
                redis::cmd("PUBLISH")
                    .arg(&self.channel)
                    .arg(payload)
                    .query_async(&mut conn)
                    .await
            }
            Err(e) => Err(e),
        };
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
        let mut conn = self.conn().await?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .map(|_| ())
    }
}

/// Evicts this replica's key cache on every revocation (auth-core's subscriber).
struct EvictKeys(Arc<KeyCache>);

impl RevocationSink for EvictKeys {
    fn subscribed(&self) {
        // Events published while we were not subscribed are lost: start from an empty cache.
        self.0.clear();
    }

    fn revoked(&self, event: RevocationEvent) {
        if !event.key_hash.is_empty() {
            self.0.evict(&event.key_hash);
        }
    }
}

/// Subscribes forever; every replica evicts its key cache on each event.
pub async fn run_subscriber(url: String, channel: String, cache: Arc<KeyCache>) {
    auth_core::revocation::subscribe_forever(url, channel, Arc::new(EvictKeys(cache))).await;
}
