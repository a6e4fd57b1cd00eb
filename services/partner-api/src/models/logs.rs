//! The `logs` table: DSL whitelist ([`LOGS`]), row, batch insert.

use super::SOURCES;
use super::column;
use crate::schema::logs;
use diesel::{QueryResult, sql_query, sql_types as st};
use diesel::{Queryable, Selectable};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use query::{Direction, Kind, ListSpec, field, order};
use std::sync::LazyLock;
use time::OffsetDateTime;
use uuid::Uuid;

pub const LEVELS: &[&str] = &["debug", "info", "warn", "error"];

pub static LOGS: LazyLock<ListSpec<logs::table, LogRow>> = LazyLock::new(|| ListSpec {
    resource: "logs",
    fields: vec![
        field!(
            "id",
            logs::id,
            Uuid,
            Kind::PrefixedUuid("log"),
            [Eq, Ne, In],
            "id"
        ),
        field!(
            "level",
            logs::level,
            String,
            Kind::Enum(LEVELS),
            [Eq, Ne, In, Is],
            "level"
        ),
        field!(
            "message",
            logs::message,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "message"
        ),
        field!(
            "source",
            logs::source,
            String,
            Kind::Enum(SOURCES),
            [Eq, Ne, In, Is],
            "source"
        ),
        field!(
            "sessionId",
            logs::session_id,
            Uuid,
            Kind::PrefixedUuid("ses"),
            [Eq, Ne, In, Is],
            "sessionId"
        ),
        field!(
            "timestamp",
            logs::timestamp,
            OffsetDateTime,
            Kind::Timestamp,
            [Eq, Ne, In, Ge, Le, Lt, Is],
            "timestamp"
        ),
        field!(
            "url",
            logs::url,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "url"
        ),
    ],
    filters: vec![],
    sorts: vec![
        order!("id", logs::id),
        order!("level", logs::level),
        order!("message", logs::message),
        order!("source", logs::source),
        order!("sessionId", logs::session_id),
        order!("timestamp", logs::timestamp),
        order!("url", logs::url),
    ],
    tiebreak: order!("id", logs::id),
    default_sort: &[("timestamp", Direction::Desc)],
    includes: &[],
});

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = logs, check_for_backend(diesel::pg::Pg))]
pub struct LogRow {
    pub id: Uuid,
    pub level: String,
    pub message: String,
    pub source: String,
    pub session_id: Option<Uuid>,
    pub timestamp: OffsetDateTime,
    pub url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewLog {
    pub id: Uuid,
    pub timestamp: OffsetDateTime,
    pub received_at: OffsetDateTime,
    pub level: String,
    pub message: String,
    pub source: String,
    pub session_id: Option<Uuid>,
    pub url: Option<String>,
    pub message_id: Option<String>,
}

pub async fn insert(
    conn: &mut AsyncPgConnection,
    project: Uuid,
    rows: &[NewLog],
) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    // SQL text on purpose: diesel cannot express `INSERT … SELECT FROM unnest($arrays)`,
    // which binds one array per column (a fixed parameter count and one prepared
    // statement whatever the batch size); `insert_into(..).values(vec)` would bind
    // rows × columns parameters and prepare a new statement per batch size.
    sql_query(
        "INSERT INTO logs (project_id, id, \"timestamp\", received_at, level, message, source, \
         session_id, url, message_id) \
         SELECT $1, t.* FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::text[], \
         $6::text[], $7::text[], $8::uuid[], $9::text[], $10::text[]) AS t",
    )
    .bind::<st::Uuid, _>(project)
    .bind::<st::Array<st::Uuid>, _>(column!(rows, id))
    .bind::<st::Array<st::Timestamptz>, _>(column!(rows, timestamp))
    .bind::<st::Array<st::Timestamptz>, _>(column!(rows, received_at))
    .bind::<st::Array<st::Text>, _>(column!(rows, level))
    .bind::<st::Array<st::Text>, _>(column!(rows, message))
    .bind::<st::Array<st::Text>, _>(column!(rows, source))
    .bind::<st::Array<st::Nullable<st::Uuid>>, _>(column!(rows, session_id))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, url))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, message_id))
    .execute(conn)
    .await
}

super::listing::sources!(logs, LogRow);
