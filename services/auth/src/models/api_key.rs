//! `api_keys`: minted keys (hash + hint only), their lookup for `Authenticate`,
//! revocation, rolling and the batched `last_used_at` write.

use crate::schema::{api_keys, tenants};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub struct ApiKey {
    pub id: String,
    pub tenant_id: Uuid,
    pub user_id: Option<String>,
    pub product: String,
    pub name: String,
    pub key_hash: String,
    pub hint: String,
    pub scopes: Vec<String>,
    pub tier: String,
    pub env: String,
    pub created_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
    pub replaced_by: Option<String>,
}

/// What `Authenticate` needs of a key: the row's state plus its tenant's public id.
#[derive(Debug, Clone, Queryable)]
pub struct KeyRecord {
    pub id: String,
    pub tenant_id: Uuid,
    pub user_id: Option<String>,
    pub product: String,
    pub scopes: Vec<String>,
    pub tier: String,
    pub env: String,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub public_id: Option<String>,
}

pub async fn insert(conn: &mut AsyncPgConnection, key: &ApiKey) -> QueryResult<ApiKey> {
    diesel::insert_into(api_keys::table)
        .values(key)
        .returning(ApiKey::as_returning())
        .get_result(conn)
        .await
}

pub async fn find(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<ApiKey> {
    api_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(conn)
        .await
}

/// The one query on the `Authenticate` path (by the unique hash index).
pub async fn lookup_by_hash(
    conn: &mut AsyncPgConnection,
    hash: &str,
) -> QueryResult<Option<KeyRecord>> {
    api_keys::table
        .inner_join(tenants::table)
        .filter(api_keys::key_hash.eq(hash))
        .select((
            api_keys::id,
            api_keys::tenant_id,
            api_keys::user_id,
            api_keys::product,
            api_keys::scopes,
            api_keys::tier,
            api_keys::env,
            api_keys::expires_at,
            api_keys::revoked_at,
            tenants::public_id,
        ))
        .first(conn)
        .await
        .optional()
}

/// Newest first, keyset on `id`; fetches `limit + 1`.
pub async fn list(
    conn: &mut AsyncPgConnection,
    tenant_id: Option<Uuid>,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ApiKey>> {
    let mut q = api_keys::table.select(ApiKey::as_select()).into_boxed();
    if let Some(t) = tenant_id {
        q = q.filter(api_keys::tenant_id.eq(t));
    }
    if let Some(b) = before {
        q = q.filter(api_keys::id.lt(b.to_owned()));
    }
    q.order(api_keys::id.desc())
        .limit(limit + 1)
        .load(conn)
        .await
}

/// Revokes now. A key that is already revoked keeps its original `revoked_at`
/// (revocation is idempotent); a key in a roll's grace period is revoked at once.
pub async fn revoke(conn: &mut AsyncPgConnection, id: &str) -> QueryResult<ApiKey> {
    let now = OffsetDateTime::now_utc();
    let updated = diesel::update(
        api_keys::table.filter(api_keys::id.eq(id)).filter(
            api_keys::revoked_at
                .is_null()
                .or(api_keys::revoked_at.gt(now)),
        ),
    )
    .set(api_keys::revoked_at.eq(now))
    .returning(ApiKey::as_returning())
    .get_result(conn)
    .await
    .optional()?;
    match updated {
        Some(k) => Ok(k),
        None => find(conn, id).await,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RollError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error("key is revoked or was already rolled")]
    Revoked,
    #[error("key has expired")]
    Expired,
}

/// The replacement of `old` by a roll: same tenant, user, name, scopes, tier,
/// env and expiry, a new secret. Returns the row and the plaintext key.
pub fn successor(old: &ApiKey) -> (ApiKey, String) {
    let product: auth_core::Product = old.product.parse().unwrap_or(auth_core::Product::Admin);
    let env = if old.env == "test" {
        auth_core::key::KeyEnv::Test
    } else {
        auth_core::key::KeyEnv::Live
    };
    let token = auth_core::key::generate(product, env);
    let row = ApiKey {
        id: crate::ids::key_id(),
        tenant_id: old.tenant_id,
        user_id: old.user_id.clone(),
        product: old.product.clone(),
        name: old.name.clone(),
        key_hash: auth_core::key::hash(&token),
        hint: auth_core::key::hint(&token),
        scopes: old.scopes.clone(),
        tier: old.tier.clone(),
        env: old.env.clone(),
        created_at: OffsetDateTime::now_utc(),
        expires_at: old.expires_at,
        revoked_at: None,
        last_used_at: None,
        replaced_by: None,
    };
    (row, token)
}

/// Replaces key `id` by its [`successor`] in one transaction: the old key is
/// locked, must be live, and gets `revoked_at = now + grace` and
/// `replaced_by`. Returns (old key after the update, new key, new plaintext).
pub async fn roll(
    conn: &mut AsyncPgConnection,
    id: &str,
    grace: time::Duration,
) -> Result<(ApiKey, ApiKey, String), RollError> {
    let id = id.to_owned();
    conn.transaction::<_, RollError, _>(async move |conn| {
        let old: ApiKey = api_keys::table
            .find(&id)
            .select(ApiKey::as_select())
            .for_update()
            .first(conn)
            .await?;
        let now = OffsetDateTime::now_utc();
        if old.revoked_at.is_some() {
            return Err(RollError::Revoked);
        }
        if old.expires_at.is_some_and(|e| e <= now) {
            return Err(RollError::Expired);
        }
        let (new, token) = successor(&old);
        let new = insert(conn, &new).await?;
        let old = diesel::update(api_keys::table.find(&id))
            .set((
                api_keys::revoked_at.eq(now + grace),
                api_keys::replaced_by.eq(&new.id),
            ))
            .returning(ApiKey::as_returning())
            .get_result(conn)
            .await?;
        Ok((old, new, token))
    })
    .await
}

/// Writes buffered `last_used_at` stamps in one statement (never moves a stamp backwards).
pub async fn touch_last_used(
    conn: &mut AsyncPgConnection,
    stamps: Vec<(String, OffsetDateTime)>,
) -> QueryResult<usize> {
    use diesel::sql_types::{Array, Text, Timestamptz};
    let (ids, times): (Vec<String>, Vec<OffsetDateTime>) = stamps.into_iter().unzip();
    diesel::sql_query(
        "UPDATE api_keys AS k SET last_used_at = v.t \
         FROM unnest($1::text[], $2::timestamptz[]) AS v(id, t) \
         WHERE k.id = v.id AND (k.last_used_at IS NULL OR k.last_used_at < v.t)",
    )
    .bind::<Array<Text>, _>(ids)
    .bind::<Array<Timestamptz>, _>(times)
    .execute(conn)
    .await
}
