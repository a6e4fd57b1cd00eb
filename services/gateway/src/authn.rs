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
//! - The cache is the platform's one cache type (`service_kit::cache`, moka):
//!   bounded (`auth_cache_max_entries`), TinyLFU/LRU eviction, never cleared to
//!   make room.
//! - Revocations (auth-core's `RevocationEvent` on Redis pub/sub, read by
//!   auth-core's subscriber) evict every entry of that key at once; an
//!   Authenticate answer that was in flight during a revocation is not stored.
//!   When the subscription is (re)established the whole cache is dropped,
//!   since events may have been missed.
//! - When auth is unreachable, cached principals keep working until their TTL and
//!   unknown keys get 503 `upstream_unavailable`.

use crate::metrics::Metrics;
use actix_web::http::header::HeaderValue;
use auth_core::revocation::{RevocationEvent, RevocationSink};
use error_envelope::{ApiError, ErrorCode};
use rpc::auth::{AuthError, AuthenticateRequest, auth_client::AuthClient};
use service_kit::cache::Cache;
use sha2::{Digest, Sha256};
use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};
use tonic::transport::Channel;
use tracing::Instrument;

/// How long a refusal is remembered.
pub const NEGATIVE_TTL: Duration = Duration::from_secs(10);

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
    Valid(Arc<Authenticated>),
    Refused(String),
}

/// The shared principal cache (one per process, all workers): the platform's
/// one cache type (`service_kit::cache`, moka), keyed by SHA-256(token, audience),
/// each entry living until its own TTL (the JWT's, or [`NEGATIVE_TTL`]).
pub struct AuthCache {
    entries: Cache<[u8; 32], Entry>,
    refresh_margin: Duration,
}

impl AuthCache {
    pub fn new(max_entries: usize, refresh_margin: Duration) -> Self {
        Self {
            entries: Cache::new(u64::try_from(max_entries).unwrap_or(u64::MAX)),
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

    /// Evicts every entry of `key_id` (all audiences).
    pub fn revoke(&self, key_id: &str) {
        let key_id: Arc<str> = key_id.into();
        self.entries
            .invalidate_if(move |_, e| matches!(e, Entry::Valid(a) if a.key_id == key_id));
    }

    /// Drops everything (revocations may have been missed).
    pub fn clear(&self) {
        self.entries.invalidate_all();
    }

    pub fn len(&self) -> usize {
        usize::try_from(self.entries.entry_count()).unwrap_or(usize::MAX)
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
    if let Some(entry) = cache.entries.get(&key) {
        Metrics::incr(&metrics.auth_cache_hits);
        return match entry {
            Entry::Valid(a) => Ok(a),
            Entry::Refused(message) => Err(ApiError::invalid_token(message)),
        };
    }
    Metrics::incr(&metrics.auth_cache_misses);
    let ticket = cache.entries.ticket();
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
    if response.error != AuthError::Unspecified as i32 {
        let message = match AuthError::try_from(response.error) {
            Ok(AuthError::Malformed) => "the API key is malformed",
            Ok(AuthError::Revoked) => "the API key has been revoked",
            Ok(AuthError::Expired) => "the API key has expired",
            Ok(AuthError::WrongProduct) => "this API key belongs to another product",
            _ => "the API key is not valid",
        };
        cache.entries.insert_unless_invalidated(
            key,
            Entry::Refused(message.to_owned()),
            NEGATIVE_TTL,
            ticket,
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
    cache.entries.insert_unless_invalidated(
        key,
        Entry::Valid(Arc::clone(&authenticated)),
        ttl,
        ticket,
    );
    Ok(authenticated)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Applies auth-core's revocation events to the principal cache.
struct EvictPrincipals {
    cache: Arc<AuthCache>,
    metrics: Arc<Metrics>,
}

impl RevocationSink for EvictPrincipals {
    fn subscribed(&self) {
        self.cache.clear();
        self.metrics
            .revocations_subscribed
            .store(1, Ordering::Relaxed);
    }

    /// Evicts the key now, and once more when a future `effective_at` is reached
    /// (a rolled key stays valid during its grace period and may be cached again meanwhile).
    fn revoked(&self, event: RevocationEvent) {
        self.cache.revoke(&event.key_id);
        Metrics::incr(&self.metrics.revocations);
        tracing::info!(key_id = %event.key_id, reason = %event.reason, "key revoked");
        let wait = event.effective_at - unix_now();
        if wait > 0 {
            let cache = Arc::clone(&self.cache);
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(wait.unsigned_abs() + 1)).await;
                cache.revoke(&event.key_id);
            });
        }
    }

    fn unsubscribed(&self) {
        self.metrics
            .revocations_subscribed
            .store(0, Ordering::Relaxed);
    }
}

/// Subscribes to revocations forever (auth-core's subscriber), reconnecting with back-off.
pub async fn listen_revocations(
    redis_url: String,
    channel: String,
    cache: Arc<AuthCache>,
    metrics: Arc<Metrics>,
) {
    auth_core::revocation::subscribe_forever(
        redis_url,
        channel,
        Arc::new(EvictPrincipals { cache, metrics }),
    )
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(key_id: &str) -> Entry {
        Entry::Valid(Arc::new(Authenticated {
            key_id: key_id.into(),
            tier: "free".into(),
            tenant_id: "t".into(),
            authorization: HeaderValue::from_static("Bearer x"),
        }))
    }

    #[test]
    fn revocation_evicts_every_audience_and_blocks_in_flight_inserts() {
        let cache = AuthCache::new(1000, Duration::from_secs(5));
        let k1 = AuthCache::key("tok1", "admin-api");
        let k2 = AuthCache::key("tok1", "partner-api");
        let ttl = Duration::from_secs(60);
        cache.entries.insert(k1, entry("key_a"), ttl);
        cache.entries.insert(k2, entry("key_a"), ttl);
        assert_eq!(cache.len(), 2);
        let in_flight = cache.entries.ticket();
        cache.revoke("key_a");
        assert_eq!(cache.len(), 0);
        cache
            .entries
            .insert_unless_invalidated(k1, entry("key_a"), ttl, in_flight);
        assert!(cache.entries.get(&k1).is_none());
    }

    #[test]
    fn bearer_tokens_are_parsed() {
        let h = HeaderValue::from_static("Bearer copt_live_x");
        assert_eq!(bearer_token(Some(&h)).unwrap(), "copt_live_x");
        assert!(bearer_token(None).is_err());
        assert!(bearer_token(Some(&HeaderValue::from_static("Basic abc"))).is_err());
        assert!(bearer_token(Some(&HeaderValue::from_static("Bearer "))).is_err());
    }
}
