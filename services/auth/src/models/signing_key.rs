//! `signing_keys`: the Ed25519 keys of internal JWTs (secret sealed at rest when configured).

use crate::schema::signing_keys;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = signing_keys, check_for_backend(diesel::pg::Pg))]
pub struct SigningKeyRow {
    pub kid: String,
    pub secret: Vec<u8>,
    pub encryption: String,
    pub public_x: String,
    pub created_at: OffsetDateTime,
    pub retired_at: Option<OffsetDateTime>,
    pub publish_until: Option<OffsetDateTime>,
}

/// The signing key: the newest one not retired.
pub async fn active(conn: &mut AsyncPgConnection) -> QueryResult<Option<SigningKeyRow>> {
    signing_keys::table
        .filter(signing_keys::retired_at.is_null())
        .order((signing_keys::created_at.desc(), signing_keys::kid.desc()))
        .select(SigningKeyRow::as_select())
        .first(conn)
        .await
        .optional()
}

/// Keys to publish in the JWKS: the active one(s) and retired ones still in their rollover.
pub async fn published(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(String, String)>> {
    let now = OffsetDateTime::now_utc();
    signing_keys::table
        .filter(
            signing_keys::retired_at
                .is_null()
                .or(signing_keys::publish_until.gt(now)),
        )
        .order(signing_keys::created_at.desc())
        .select((signing_keys::kid, signing_keys::public_x))
        .load(conn)
        .await
}

/// Metadata of every key (never the secret), newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
) -> QueryResult<
    Vec<(
        String,
        OffsetDateTime,
        Option<OffsetDateTime>,
        Option<OffsetDateTime>,
    )>,
> {
    signing_keys::table
        .order(signing_keys::created_at.desc())
        .select((
            signing_keys::kid,
            signing_keys::created_at,
            signing_keys::retired_at,
            signing_keys::publish_until,
        ))
        .limit(100)
        .load(conn)
        .await
}

/// Serialises bootstrap and rotation across replicas (transaction-scoped advisory lock).
pub async fn lock(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(8181001)")
        .execute(conn)
        .await
        .map(|_| ())
}

pub async fn retire_all(
    conn: &mut AsyncPgConnection,
    now: OffsetDateTime,
    publish_until: OffsetDateTime,
) -> QueryResult<usize> {
    diesel::update(signing_keys::table.filter(signing_keys::retired_at.is_null()))
        .set((
            signing_keys::retired_at.eq(now),
            signing_keys::publish_until.eq(publish_until),
        ))
        .execute(conn)
        .await
}

pub async fn insert(conn: &mut AsyncPgConnection, row: &SigningKeyRow) -> QueryResult<()> {
    diesel::insert_into(signing_keys::table)
        .values(row)
        .execute(conn)
        .await
        .map(|_| ())
}
