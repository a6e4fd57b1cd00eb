//! Authentication of a raw API key: the logic behind gRPC `Authenticate`.
//!
//! Order of checks (cheapest first):
//! 1. format and CRC checksum (`auth_core::key::parse`) — a malformed or
//!    mistyped key is refused without any database query;
//! 2. the key's prefix against the route's product (`wrong_product`), also
//!    without a query;
//! 3. the key record by SHA-256 hash: in-process cache, else one indexed
//!    query (counted in [`Stats::db_lookups`]);
//! 4. revocation (including the end of a roll's grace period), then expiry.
//!
//! On success an internal JWT (EdDSA, `aud` = the requested audience) is
//! signed, and the gateway is told how long it may cache the answer: at most
//! `gateway_cache_ttl_seconds`, never past the key's expiry or scheduled
//! revocation, and never past the JWT's expiry minus a margin.

use crate::{AppState, cache::Lookup, models::api_key};
use auth_core::{
    Principal, Product,
    jwt::{InternalClaims, now},
    key,
};
use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};
use time::OffsetDateTime;

/// How long before the JWT's expiry the gateway must stop reusing it.
pub const JWT_EXPIRY_MARGIN_SECONDS: i64 = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Malformed,
    Unknown,
    Revoked,
    Expired,
    WrongProduct,
}

#[derive(Debug, Clone)]
pub struct Accepted {
    pub principal: Principal,
    pub jwt: String,
    pub jwt_expires_at: i64,
    pub cache_ttl_seconds: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthnError {
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("internal: {0}")]
    Internal(String),
}

/// Counters exposed for tests and the benchmark.
#[derive(Debug, Default)]
pub struct Stats {
    /// Key lookups that reached PostgreSQL.
    pub db_lookups: std::sync::atomic::AtomicU64,
    /// Key lookups answered by the in-process cache.
    pub cache_hits: std::sync::atomic::AtomicU64,
}

pub async fn authenticate(
    state: &AppState,
    token: &str,
    product: Product,
    audience: &str,
) -> Result<Result<Accepted, Refusal>, AuthnError> {
    let Ok(parsed) = key::parse(token) else {
        return Ok(Err(Refusal::Malformed));
    };
    if parsed.product != product {
        return Ok(Err(Refusal::WrongProduct));
    }
    let hash = key::hash(token);
    let record = match state.cache.get(&hash) {
        Lookup::Hit(r) => {
            state.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
            r
        }
        Lookup::Miss(ticket) => {
            state.stats.db_lookups.fetch_add(1, Ordering::Relaxed);
            let mut conn = state
                .pool
                .get()
                .await
                .map_err(|e| AuthnError::Unavailable(e.to_string()))?;
            let r = api_key::lookup_by_hash(&mut conn, &hash)
                .await
                .map_err(|e| AuthnError::Internal(e.to_string()))?
                .map(Arc::new);
            state.cache.insert(&hash, r.clone(), ticket);
            r
        }
    };
    let Some(record) = record else {
        return Ok(Err(Refusal::Unknown));
    };
    if record.product != product.as_str() {
        return Ok(Err(Refusal::WrongProduct));
    }
    let now_dt = OffsetDateTime::now_utc();
    if record.revoked_at.is_some_and(|r| r <= now_dt) {
        return Ok(Err(Refusal::Revoked));
    }
    if record.expires_at.is_some_and(|e| e <= now_dt) {
        return Ok(Err(Refusal::Expired));
    }
    state.last_used.record(&record.id);

    let principal = Principal {
        tenant_id: record.tenant_id,
        product,
        scopes: record.scopes.clone(),
        tier: record.tier.clone(),
        key_id: record.id.clone(),
        user_id: record.user_id.clone(),
        public_id: record.public_id.clone(),
        env: record.env.clone(),
    };
    let iat = now();
    let ttl = Duration::from_secs(state.config.jwt_ttl_seconds);
    let claims = InternalClaims::new(&principal, audience, iat, ttl);
    let jwt_expires_at = claims.exp;
    let jwt = state
        .signer
        .active()
        .sign(&claims)
        .map_err(|e| AuthnError::Internal(e.to_string()))?;

    let mut cache_until = iat + i64::from(state.config.gateway_cache_ttl_seconds);
    cache_until = cache_until.min(jwt_expires_at - JWT_EXPIRY_MARGIN_SECONDS);
    for limit in [record.expires_at, record.revoked_at].into_iter().flatten() {
        cache_until = cache_until.min(limit.unix_timestamp());
    }
    let cache_ttl_seconds = u32::try_from((cache_until - iat).max(0)).unwrap_or(0);
    Ok(Ok(Accepted {
        principal,
        jwt,
        jwt_expires_at,
        cache_ttl_seconds,
    }))
}
