//! `ingest_dedup`: client message ids already accepted, per project and kind.

use diesel::{QueryResult, QueryableByName, sql_query, sql_types as st};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = st::Text)]
    message_id: String,
    #[diesel(sql_type = st::Uuid)]
    item_id: Uuid,
}

/// Claims `(message_id, item_id)` pairs (unique message ids) inside the caller's
/// transaction, in message-id order so that concurrent batches sharing ids
/// lock them in the same order and cannot deadlock. Returns the message ids that were new. A concurrent transaction
/// claiming the same id makes this statement wait for it: if it commits, the id
/// is reported as already taken; if it rolls back, the claim succeeds here.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    project: Uuid,
    kind: &str,
    claims: &[(String, Uuid)],
) -> QueryResult<Vec<String>> {
    if claims.is_empty() {
        return Ok(Vec::new());
    }
    let (ids, items): (Vec<String>, Vec<Uuid>) = claims.iter().cloned().unzip();
    let rows: Vec<Claimed> = sql_query(
        "INSERT INTO ingest_dedup (project_id, kind, message_id, item_id) \
         SELECT $1, $2, m, i FROM unnest($3::text[], $4::uuid[]) AS t(m, i) ORDER BY m \
         ON CONFLICT DO NOTHING RETURNING message_id, item_id",
    )
    .bind::<st::Uuid, _>(project)
    .bind::<st::Text, _>(kind)
    .bind::<st::Array<st::Text>, _>(ids)
    .bind::<st::Array<st::Uuid>, _>(items)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| r.message_id).collect())
}

/// The item ids stored for already-claimed message ids (to answer duplicates with the original id).
pub async fn existing(
    conn: &mut AsyncPgConnection,
    project: Uuid,
    kind: &str,
    message_ids: &[String],
) -> QueryResult<HashMap<String, Uuid>> {
    if message_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<Claimed> = sql_query(
        "SELECT message_id, item_id FROM ingest_dedup \
         WHERE project_id = $1 AND kind = $2 AND message_id = ANY($3)",
    )
    .bind::<st::Uuid, _>(project)
    .bind::<st::Text, _>(kind)
    .bind::<st::Array<st::Text>, _>(message_ids.to_vec())
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.message_id, r.item_id))
        .collect())
}

/// Deletes claims older than `days` (the end of the dedup window).
pub async fn prune(conn: &mut AsyncPgConnection, days: u32) -> QueryResult<usize> {
    sql_query("DELETE FROM ingest_dedup WHERE received_at < now() - make_interval(days => $1)")
        .bind::<st::Integer, _>(days as i32)
        .execute(conn)
        .await
}
