//! Authentication of bearer API keys through auth's gRPC `Authenticate`, with a
//! principal cache.
//!
//! - Cache key: SHA-256 of the token and the route's audience (the raw token is
//!   never stored or logged). Value: the principal and the ready-made
//!   `Authorization: Bearer <internal JWT>` header for the upstream.
//! - An entry lives `min(cache_ttl_seconds, jwt_expires_at - jwt_refresh_margin)`.
//!   Refusals (unknown, revoked, expired keys) are cached for
//!   [`NEGATIVE_TTL`] so a flood of bad keys does not reach auth.
//! - Malformed keys and keys of another product are refused locally
//!   (`auth_core::key::parse`: prefix, length, CRC checksum), without a call.
//! - Revocations (Redis pub/sub, message = key id) evict every entry of that key
//!   at once; an epoch counter stops an Authenticate answer that was in flight
//!   during a revocation from re-inserting the key. When the subscription is
//!   (re)established the whole cache is dropped, since events may have been missed.
//! - When auth is unreachable, cached principals keep working until their TTL and
//!   unknown keys get 503 `upstream_unavailable`.

use crate::metrics::Metrics;
use actix_web::http::header::HeaderValue;
use error_envelope::{ApiError, ErrorCode};
use futures_util::StreamExt;
use rpc::auth::{AuthError, AuthenticateRequest, auth_client::AuthClient};
use sha2::{Digest, Sha256};
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tonic::transport::Channel;
use tracing::Instrument;

/// How long a refusal is remembered.
pub const NEGATIVE_TTL: Duration = Duration::from_secs(10);
const SHARDS: usize = 16;

/// What the upstream and the rate limiter need of an authenticated caller.
#[derive(Debug)]
pub struct Authenticated {
    pub key_id: Arc<str>,
    pub tier: Arc<str>,
    pub tenant_id: String,
    /// `Bearer <internal JWT>`, ready for the upstream request.
    pub authorization: HeaderValue,
}

#[derive(Debug, Clone)]
enum Entry {
    Valid(Arc<Authenticated>, Instant),
    Refused(String, Instant),
}

impl Entry {
    fn expires(&self) -> Instant {
        match self {
            Entry::Valid(_, t) | Entry::Refused(_, t) => *t,
        }
    }
}

type Shard = Mutex<HashMap<[u8; 32], Entry>>;

/// The shared principal cache (one per process, all workers).
pub struct AuthCache {
    shards: Box<[Shard]>,
    max_per_shard: usize,
    epoch: AtomicU64,
    refresh_margin: Duration,
}

impl AuthCache {
    pub fn new(max_entries: usize, refresh_margin: Duration) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            max_per_shard: (max_entries / SHARDS).max(16),
            epoch: AtomicU64::new(0),
            refresh_margin,
        }
    }

    fn key(token: &str, audience: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(token.as_bytes());
        h.update([0]);
        h.update(audience.as_bytes());
        h.finalize().into()
    }

    fn shard(&self, key: &[u8; 32]) -> &Shard {
        &self.shards[key[0] as usize % SHARDS]
    }

    fn get(&self, key: &[u8; 32]) -> Option<Entry> {
        let shard = self.shard(key).lock().unwrap_or_else(|p| p.into_inner());
        shard
            .get(key)
            .filter(|e| e.expires() > Instant::now())
            .cloned()
    }

    fn insert(&self, key: [u8; 32], entry: Entry, epoch: u64) {
        let mut shard = self.shard(&key).lock().unwrap_or_else(|p| p.into_inner());
        // A revocation happened while the answer was in flight: do not cache it.
        if self.epoch.load(Ordering::Acquire) != epoch {
            return;
        }
        if shard.len() >= self.max_per_shard {
            let now = Instant::now();
            shard.retain(|_, e| e.expires() > now);
            if shard.len() >= self.max_per_shard {
                shard.clear();
            }
        }
        shard.insert(key, entry);
    }

    /// Evicts every entry of `key_id`; returns how many.
    pub fn revoke(&self, key_id: &str) -> usize {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        let mut n = 0;
        for shard in self.shards.iter() {
            let mut shard = shard.lock().unwrap_or_else(|p| p.into_inner());
            shard.retain(|_, e| {
                let keep = !matches!(e, Entry::Valid(a, _) if &*a.key_id == key_id);
                n += usize::from(!keep);
                keep
            });
        }
        n
    }

    /// Drops everything (revocations may have been missed).
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        for shard in self.shards.iter() {
            shard.lock().unwrap_or_else(|p| p.into_inner()).clear();
        }
    }

    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().map(|s| s.len()).unwrap_or(0))
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Extracts the token of `Authorization: Bearer <token>`.
pub fn bearer_token(header: Option<&HeaderValue>) -> Result<&str, ApiError> {
    let raw = header
        .ok_or_else(|| ApiError::invalid_token("missing Authorization: Bearer header"))?
        .to_str()
        .map_err(|_| ApiError::invalid_token("malformed Authorization header"))?;
    let (scheme, token) = raw
        .split_once(' ')
        .ok_or_else(|| ApiError::invalid_token("malformed Authorization header"))?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::invalid_token(
            "the Authorization header must be `Bearer <API key>`",
        ));
    }
    Ok(token)
}

/// Resolves `token` for a route of `product` and `audience`: cache, else auth.
pub async fn authenticate(
    cache: &AuthCache,
    metrics: &Metrics,
    client: &AuthClient<Channel>,
    token: &str,
    product: auth_core::Product,
    rpc_product: rpc::auth::Product,
    audience: &str,
) -> Result<Arc<Authenticated>, ApiError> {
    match auth_core::key::parse(token) {
        Err(_) => return Err(ApiError::invalid_token("the API key is malformed")),
        Ok(parsed) if parsed.product != product => {
            return Err(ApiError::invalid_token(
                "this API key belongs to another product",
            ));
        }
        Ok(_) => {}
    }
    let key = AuthCache::key(token, audience);
    if let Some(entry) = cache.get(&key) {
        Metrics::incr(&metrics.auth_cache_hits);
        return match entry {
            Entry::Valid(a, _) => Ok(a),
            Entry::Refused(message, _) => Err(ApiError::invalid_token(message)),
        };
    }
    Metrics::incr(&metrics.auth_cache_misses);
    let epoch = cache.epoch.load(Ordering::Acquire);
    let request = AuthenticateRequest {
        token: token.to_owned(),
        product: rpc_product as i32,
        audience: audience.to_owned(),
    };
    let response = client
        .clone()
        .authenticate(request)
        .instrument(tracing::info_span!(
            "auth.authenticate",
            otel.kind = "client"
        ))
        .await
        .map_err(|status| {
            Metrics::incr(&metrics.auth_failures);
            ApiError::service_unavailable(
                ErrorCode::UpstreamUnavailable,
                "authentication is temporarily unavailable; retry shortly",
            )
            .with_log_detail(format!("auth: {} {}", status.code(), status.message()))
        })?
        .into_inner();
    let now = Instant::now();
    if response.error != AuthError::Unspecified as i32 {
        let message = match AuthError::try_from(response.error) {
            Ok(AuthError::Malformed) => "the API key is malformed",
            Ok(AuthError::Revoked) => "the API key has been revoked",
            Ok(AuthError::Expired) => "the API key has expired",
            Ok(AuthError::WrongProduct) => "this API key belongs to another product",
            _ => "the API key is not valid",
        };
        cache.insert(
            key,
            Entry::Refused(message.to_owned(), now + NEGATIVE_TTL),
            epoch,
        );
        return Err(ApiError::invalid_token(message));
    }
    let principal = response.principal.ok_or_else(|| {
        ApiError::service_unavailable(
            ErrorCode::UpstreamUnavailable,
            "authentication answered without a principal",
        )
    })?;
    let authorization = HeaderValue::try_from(format!("Bearer {}", response.internal_jwt))
        .map_err(|e| ApiError::internal(format!("internal JWT is not a header value: {e}")))?;
    let authenticated = Arc::new(Authenticated {
        key_id: principal.key_id.into(),
        tier: principal.tier.into(),
        tenant_id: principal.tenant_id,
        authorization,
    });
    let ttl = Duration::from_secs(u64::from(response.cache_ttl_seconds));
    let jwt_left = u64::try_from(response.jwt_expires_at - unix_now()).unwrap_or(0);
    let jwt_ttl = Duration::from_secs(jwt_left).saturating_sub(cache.refresh_margin);
    let ttl = ttl.min(jwt_ttl);
    if !ttl.is_zero() {
        cache.insert(
            key,
            Entry::Valid(Arc::clone(&authenticated), now + ttl),
            epoch,
        );
    }
    Ok(authenticated)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A revocation message: auth publishes `{"key_id","key_hash","reason","effective_at"}`;
/// a bare key id is accepted too.
#[derive(Debug, PartialEq, Eq)]
pub struct Revocation {
    pub key_id: String,
    /// Unix seconds from which the key is refused (later than now for a roll's grace period).
    pub effective_at: Option<i64>,
}

pub fn parse_revocation(payload: &str) -> Option<Revocation> {
    let payload = payload.trim();
    if payload.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(payload).ok()?;
        let key_id = v.get("key_id").and_then(|k| k.as_str())?.to_owned();
        return Some(Revocation {
            key_id,
            effective_at: v.get("effective_at").and_then(|e| e.as_i64()),
        });
    }
    (!payload.is_empty()).then(|| Revocation {
        key_id: payload.trim_matches('"').to_owned(),
        effective_at: None,
    })
}

/// Evicts the key now, and once more when a future `effective_at` is reached
/// (a rolled key stays valid during its grace period and may be cached again meanwhile).
fn apply_revocation(cache: &Arc<AuthCache>, metrics: &Metrics, revocation: Revocation) {
    let evicted = cache.revoke(&revocation.key_id);
    Metrics::incr(&metrics.revocations);
    tracing::info!(key_id = %revocation.key_id, evicted, "key revoked");
    let wait = revocation.effective_at.map_or(0, |at| at - unix_now());
    if wait > 0 {
        let cache = Arc::clone(cache);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(wait as u64 + 1)).await;
            cache.revoke(&revocation.key_id);
        });
    }
}

/// Subscribes to revocations forever, reconnecting with back-off.
pub async fn listen_revocations(
    redis_url: String,
    channel: String,
    cache: Arc<AuthCache>,
    metrics: Arc<Metrics>,
) {
    let mut backoff = Duration::from_millis(100);
    loop {
        match subscribe(&redis_url, &channel).await {
            Ok(mut pubsub) => {
                cache.clear();
                metrics.revocations_subscribed.store(1, Ordering::Relaxed);
                backoff = Duration::from_millis(100);
                tracing::info!(channel = %channel, "subscribed to revocations");
                let mut messages = pubsub.on_message();
                while let Some(msg) = messages.next().await {
                    let payload: String = msg.get_payload().unwrap_or_default();
                    if let Some(revocation) = parse_revocation(&payload) {
                        apply_revocation(&cache, &metrics, revocation);
                    }
                }
                metrics.revocations_subscribed.store(0, Ordering::Relaxed);
                tracing::warn!("revocation subscription lost; reconnecting");
            }
            Err(e) => tracing::warn!(error = %e, "cannot subscribe to revocations; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

async fn subscribe(url: &str, channel: &str) -> redis::RedisResult<redis::aio::PubSub> {
    let client = redis::Client::open(url)?;
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(channel).await?;
    Ok(pubsub)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key_id: &str) -> Entry {
        Entry::Valid(
            Arc::new(Authenticated {
                key_id: key_id.into(),
                tier: "free".into(),
                tenant_id: "t".into(),
                authorization: HeaderValue::from_static("Bearer x"),
            }),
            Instant::now() + Duration::from_secs(60),
        )
    }

    #[test]
    fn revocation_evicts_and_blocks_in_flight_inserts() {
        let cache = AuthCache::new(1000, Duration::from_secs(5));
        let k1 = AuthCache::key("tok1", "admin-api");
        let k2 = AuthCache::key("tok1", "partner-api");
        cache.insert(k1, entry("key_a"), 0);
        cache.insert(k2, entry("key_a"), 0);
        assert_eq!(cache.len(), 2);
        let in_flight_epoch = cache.epoch.load(Ordering::Acquire);
        assert_eq!(cache.revoke("key_a"), 2);
        cache.insert(k1, entry("key_a"), in_flight_epoch);
        assert!(cache.get(&k1).is_none());
    }

    #[test]
    fn bearer_tokens_are_parsed() {
        let h = HeaderValue::from_static("Bearer copt_live_x");
        assert_eq!(bearer_token(Some(&h)).unwrap(), "copt_live_x");
        assert!(bearer_token(None).is_err());
        assert!(bearer_token(Some(&HeaderValue::from_static("Basic abc"))).is_err());
        assert!(bearer_token(Some(&HeaderValue::from_static("Bearer "))).is_err());
    }

    #[test]
    fn revocation_messages_are_read() {
        assert_eq!(parse_revocation("key_123").unwrap().key_id, "key_123");
        let r = parse_revocation(
            r#"{"key_id":"key_9","key_hash":"ab","reason":"rolled","effective_at":17}"#,
        );
        assert_eq!(
            r,
            Some(Revocation {
                key_id: "key_9".into(),
                effective_at: Some(17)
            })
        );
        assert_eq!(parse_revocation(""), None);
    }
}
