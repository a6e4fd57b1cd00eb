//! Revocation events: the message auth publishes on Redis pub/sub
//! (`auth:revocations`) when a key is revoked or rolled, and the one
//! subscriber every consumer (auth's replicas, the gateway) runs (feature
//! `revocations`).
//!
//! Events published while a subscriber is disconnected are lost, so on every
//! (re)subscription the subscriber tells its [`RevocationSink`] to drop what it
//! cached; caches then refill from the source of truth.

use serde::{Deserialize, Serialize};

/// The message published on the revocation channel.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RevocationEvent {
    /// `key_…`
    pub key_id: String,
    /// SHA-256 of the whole key, lowercase hex (as [`crate::key::hash`]).
    pub key_hash: String,
    /// `revoked` or `rolled`.
    pub reason: String,
    /// Unix seconds from which the key is refused (in the future for a roll's grace period).
    pub effective_at: i64,
}

impl RevocationEvent {
    /// Reads a message: the JSON event, or (older publishers) a bare key id,
    /// which then takes effect at once and names no hash.
    pub fn parse(payload: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(payload).ok()?.trim();
        if text.starts_with('{') {
            return serde_json::from_str(text).ok();
        }
        let key_id = text.trim_matches('"');
        (!key_id.is_empty()).then(|| Self {
            key_id: key_id.to_owned(),
            key_hash: String::new(),
            reason: "revoked".into(),
            effective_at: 0,
        })
    }
}

/// What a subscriber does with the events.
pub trait RevocationSink: Send + Sync + 'static {
    /// Subscribed (again): events may have been missed; drop cached credentials.
    fn subscribed(&self);
    /// One event.
    fn revoked(&self, event: RevocationEvent);
    /// The subscription was lost (a reconnection follows).
    fn unsubscribed(&self) {}
}

/// Subscribes to `channel` on `redis_url` forever, reconnecting with back-off
/// (100 ms doubling to 5 s), and hands every event to `sink`.
#[cfg(feature = "revocations")]
pub async fn subscribe_forever<S: RevocationSink>(
    redis_url: String,
    channel: String,
    sink: std::sync::Arc<S>,
) {
    use futures_util::StreamExt;
    use std::time::Duration;
    let mut backoff = Duration::from_millis(100);
    loop {
        match subscribe(&redis_url, &channel).await {
            Ok(mut pubsub) => {
                sink.subscribed();
                backoff = Duration::from_millis(100);
                tracing::info!(%channel, "subscribed to revocations");
                let mut messages = pubsub.on_message();
                while let Some(msg) = messages.next().await {
                    match RevocationEvent::parse(msg.get_payload_bytes()) {
                        Some(event) => sink.revoked(event),
                        None => tracing::warn!("ignoring a malformed revocation event"),
                    }
                }
                sink.unsubscribed();
                tracing::warn!("revocation subscription lost; reconnecting");
            }
            Err(e) => tracing::warn!(error = %e, "cannot subscribe to revocations; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

#[cfg(feature = "revocations")]
async fn subscribe(url: &str, channel: &str) -> redis::RedisResult<redis::aio::PubSub> {
    let client = redis::Client::open(url)?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_and_bare_key_ids_are_read() {
        let e = RevocationEvent::parse(
            br#"{"key_id":"key_9","key_hash":"ab","reason":"rolled","effective_at":17}"#,
        )
        .unwrap();
        assert_eq!((e.key_id.as_str(), e.effective_at), ("key_9", 17));
        let bare = RevocationEvent::parse(b"key_123").unwrap();
        assert_eq!((bare.key_id.as_str(), bare.effective_at), ("key_123", 0));
        assert_eq!(RevocationEvent::parse(b""), None);
        assert_eq!(RevocationEvent::parse(b"{not json"), None);
    }
}
