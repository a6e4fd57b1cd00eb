//! `Idempotency-Key` for POST and PATCH, recorded in the same PostgreSQL
//! transaction as the request's effect.
//!
//! The crate knows no service table: it owns the `idempotency_keys` table
//! ([`SCHEMA_SQL`], copied into each service's migrations) and runs a service's
//! effect — a closure over the transaction's connection — between taking the
//! key and storing the response:
//!
//! 1. `BEGIN`; `pg_try_advisory_xact_lock(hash(tenant, key))`. Not acquired →
//!    another request with this key is running → 409 `idempotency_key_in_use`.
//! 2. A stored, unexpired record for (tenant, key): same request fingerprint →
//!    its status and body are replayed with `Idempotent-Replayed: true`; another
//!    fingerprint → 409 `idempotency_key_reused`.
//! 3. Otherwise the effect runs; a 2xx reply is stored with a 24 h expiry and
//!    the transaction commits: the effect and the record exist together or not at
//!    all. An error rolls both back, so the caller may retry with the same key
//!    (Stripe saves nothing when a request fails validation; same here).
//!
//! Expired records of the tenant are purged on each keyed write (bounded), and
//! [`purge_expired`] serves a background task.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Bool, Bytea, SmallInt, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, TransactionManager};
use error_envelope::{ApiError, ErrorCode};
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The migration SQL of the `idempotency_keys` table.
pub const SCHEMA_SQL: &str = include_str!("../migrations/schema.sql");
/// Request header carrying the key.
pub const HEADER: &str = "idempotency-key";
/// Response header set on replays.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// How long a key is remembered.
pub const TTL_HOURS: i64 = 24;
/// Longest accepted key.
pub const MAX_KEY_LEN: usize = 255;
/// Expired records deleted per keyed write.
const PURGE_ON_WRITE: i64 = 100;

type Tm = <AsyncPgConnection as AsyncConnection>::TransactionManager;

/// One keyed request: tenant, key and a fingerprint of what was asked.
#[derive(Debug, Clone)]
pub struct KeyedRequest {
    tenant_id: Uuid,
    key: String,
    fingerprint: Vec<u8>,
    method: String,
    path: String,
}

impl KeyedRequest {
    /// The keyed request for `req` (None when it has no `Idempotency-Key`).
    /// The fingerprint covers method, path and body (JSON bodies canonically,
    /// so whitespace and key order do not matter).
    pub fn from_http(
        req: &HttpRequest,
        tenant_id: Uuid,
        body: &[u8],
    ) -> Result<Option<Self>, ApiError> {
        let Some(raw) = req.headers().get(HEADER) else {
            return Ok(None);
        };
        let key = parse_key(raw.to_str().unwrap_or("\u{0}"))?;
        Ok(Some(Self::new(
            tenant_id,
            key,
            req.method().as_str(),
            req.path(),
            body,
        )))
    }

    pub fn new(tenant_id: Uuid, key: String, method: &str, path: &str, body: &[u8]) -> Self {
        Self {
            tenant_id,
            key,
            fingerprint: fingerprint(method, path, body),
            method: method.to_owned(),
            path: path.to_owned(),
        }
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    fn lock_id(&self) -> i64 {
        let digest = Sha256::new()
            .chain_update(self.tenant_id.as_bytes())
            .chain_update(self.key.as_bytes())
            .finalize();
        let mut b = [0u8; 8];
        b.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(b)
    }
}

/// Validates a key: 1–255 visible ASCII characters.
pub fn parse_key(raw: &str) -> Result<String, ApiError> {
    let ok = !raw.is_empty()
        && raw.len() <= MAX_KEY_LEN
        && raw.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(ApiError::validation(
            "Idempotency-Key",
            format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
        ))
    }
}

/// SHA-256 over method, path and body (canonical JSON when the body is JSON).
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let canonical = match serde_json::from_slice::<serde_json::Value>(body) {
        // serde_json's map is ordered by key, so re-serialising is canonical.
        Ok(v) => v.to_string().into_bytes(),
        Err(_) => body.to_vec(),
    };
    Sha256::new()
        .chain_update(method.as_bytes())
        .chain_update([0])
        .chain_update(path.as_bytes())
        .chain_update([0])
        .chain_update(&canonical)
        .finalize()
        .to_vec()
}

/// What an effect answers: a status and a JSON body (kept as text so that a
/// replay is byte for byte the first response).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub body: String,
}

impl Reply {
    pub fn json<T: Serialize>(status: StatusCode, body: &T) -> Result<Self, ApiError> {
        Ok(Self {
            status,
            body: serde_json::to_string(body)?,
        })
    }

    pub fn ok<T: Serialize>(body: &T) -> Result<Self, ApiError> {
        Self::json(StatusCode::OK, body)
    }

    pub fn created<T: Serialize>(body: &T) -> Result<Self, ApiError> {
        Self::json(StatusCode::CREATED, body)
    }

    fn into_response(self, replayed: bool) -> HttpResponse {
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CONTENT_TYPE, "application/json"));
        if replayed {
            res.insert_header((REPLAYED_HEADER, "true"));
        }
        res.body(self.body)
    }
}

/// An effect: runs inside the transaction on its connection.
pub type Effect<'c> = BoxFuture<'c, Result<Reply, ApiError>>;

enum Outcome {
    Fresh(Reply),
    Replay(Reply),
}

/// Runs `effect` in one transaction with the idempotency record of `request`
/// (when given; without a key the effect still runs in a transaction).
pub async fn execute<F>(
    conn: &mut AsyncPgConnection,
    request: Option<KeyedRequest>,
    effect: F,
) -> Result<HttpResponse, ApiError>
where
    F: for<'c> FnOnce(&'c mut AsyncPgConnection) -> Effect<'c>,
{
    Tm::begin_transaction(conn).await?;
    match run(conn, request.as_ref(), effect).await {
        Ok(Outcome::Fresh(reply)) => {
            Tm::commit_transaction(conn).await?;
            Ok(reply.into_response(false))
        }
        Ok(Outcome::Replay(reply)) => {
            Tm::rollback_transaction(conn).await?;
            Ok(reply.into_response(true))
        }
        Err(e) => {
            if let Err(rollback) = Tm::rollback_transaction(conn).await {
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(e)
        }
    }
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

#[derive(QueryableByName)]
struct Stored {
    #[diesel(sql_type = Bytea)]
    request_hash: Vec<u8>,
    #[diesel(sql_type = SmallInt)]
    response_status: i16,
    #[diesel(sql_type = Bytea)]
    response_body: Vec<u8>,
}

pub fn in_use() -> ApiError {
    ApiError::from_code(
        ErrorCode::IdempotencyKeyInUse,
        "a request with this Idempotency-Key is still being processed; retry later",
    )
    .with_details(json!({ "header": "Idempotency-Key" }))
}

pub fn reused() -> ApiError {
    ApiError::from_code(
        ErrorCode::IdempotencyKeyReused,
        "this Idempotency-Key was already used with a different request",
    )
    .with_details(json!({ "header": "Idempotency-Key" }))
}

async fn run<F>(
    conn: &mut AsyncPgConnection,
    request: Option<&KeyedRequest>,
    effect: F,
) -> Result<Outcome, ApiError>
where
    F: for<'c> FnOnce(&'c mut AsyncPgConnection) -> Effect<'c>,
{
    if let Some(r) = request {
        let locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
            .bind::<BigInt, _>(r.lock_id())
            .get_result::<Locked>(conn)
            .await?;
        if !locked.locked {
            return Err(in_use());
        }
        diesel::sql_query(
            "DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key IN \
             (SELECT key FROM idempotency_keys WHERE tenant_id = $1 AND expires_at < now() LIMIT $2)",
        )
        .bind::<SqlUuid, _>(r.tenant_id)
        .bind::<BigInt, _>(PURGE_ON_WRITE)
        .execute(conn)
        .await
        ?;
        let stored = diesel::sql_query(
            "SELECT request_hash, response_status, response_body FROM idempotency_keys \
             WHERE tenant_id = $1 AND key = $2 AND expires_at > now()",
        )
        .bind::<SqlUuid, _>(r.tenant_id)
        .bind::<Text, _>(&r.key)
        .get_result::<Stored>(conn)
        .await;
        match stored {
            Ok(s) if s.request_hash == r.fingerprint => {
                let status = u16::try_from(s.response_status)
                    .ok()
                    .and_then(|s| StatusCode::from_u16(s).ok())
                    .ok_or_else(|| ApiError::internal("stored idempotent status is invalid"))?;
                let body = String::from_utf8(s.response_body).map_err(ApiError::internal)?;
                return Ok(Outcome::Replay(Reply { status, body }));
            }
            Ok(_) => return Err(reused()),
            Err(diesel::result::Error::NotFound) => {}
            Err(e) => return Err(ApiError::internal(e)),
        }
    }
    let reply = effect(conn).await?;
    if let Some(r) = request
        && reply.status.is_success()
    {
        diesel::sql_query(
            "INSERT INTO idempotency_keys \
             (tenant_id, key, request_hash, method, path, response_status, response_body, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(hours => $8::int)) \
             ON CONFLICT (tenant_id, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, \
             method = EXCLUDED.method, path = EXCLUDED.path, response_status = EXCLUDED.response_status, \
             response_body = EXCLUDED.response_body, created_at = now(), expires_at = EXCLUDED.expires_at",
        )
        .bind::<SqlUuid, _>(r.tenant_id)
        .bind::<Text, _>(&r.key)
        .bind::<Bytea, _>(&r.fingerprint)
        .bind::<Text, _>(&r.method)
        .bind::<Text, _>(&r.path)
        .bind::<SmallInt, _>(i16::try_from(reply.status.as_u16()).unwrap_or(200))
        .bind::<Bytea, _>(reply.body.as_bytes())
        .bind::<BigInt, _>(TTL_HOURS)
        .execute(conn)
        .await
        ?;
    }
    Ok(Outcome::Fresh(reply))
}

/// Purges expired keys (in batches of 1,000, until none is left) every `every`,
/// for as long as the runtime lives: the one purge loop of every service that
/// stores idempotency records.
pub fn spawn_purge(pool: db::Pool, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.tick().await;
        loop {
            tick.tick().await;
            let Ok(mut conn) = pool.get().await else {
                continue;
            };
            loop {
                match purge_expired(&mut conn, 1000).await {
                    Ok(1000) => continue,
                    Ok(n) => {
                        tracing::debug!(purged = n, "expired idempotency keys purged");
                        break;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "idempotency purge failed");
                        break;
                    }
                }
            }
        }
    });
}

/// Deletes at most `batch` expired records of any tenant; returns how many.
pub async fn purge_expired(conn: &mut AsyncPgConnection, batch: i64) -> diesel::QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM idempotency_keys WHERE ctid = ANY(ARRAY(\
         SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT $1))",
    )
    .bind::<BigInt, _>(batch)
    .execute(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_validated() {
        assert!(parse_key("launch-spring-2026-05-10").is_ok());
        assert!(parse_key("").is_err());
        assert!(parse_key(&"x".repeat(256)).is_err());
        assert!(parse_key("tab\there").is_err());
        assert_eq!(
            parse_key("é").unwrap_err().details()["field"],
            "Idempotency-Key"
        );
    }

    #[test]
    fn fingerprints_ignore_json_formatting_only() {
        let a = fingerprint("POST", "/x", br#"{"a":1,"b":[1,2]}"#);
        assert_eq!(a, fingerprint("POST", "/x", b"{ \"b\": [1, 2], \"a\": 1 }"));
        assert_ne!(a, fingerprint("POST", "/x", br#"{"a":2,"b":[1,2]}"#));
        assert_ne!(a, fingerprint("PATCH", "/x", br#"{"a":1,"b":[1,2]}"#));
        assert_ne!(a, fingerprint("POST", "/y", br#"{"a":1,"b":[1,2]}"#));
        assert_eq!(
            fingerprint("POST", "/x", b""),
            fingerprint("POST", "/x", b"")
        );
    }
}
