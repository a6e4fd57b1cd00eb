//! The `logs` table: DSL whitelist ([`LOGS`]), row, batch insert.

use super::SOURCES;
use super::column;
use crate::dsl::{Column, ColumnType as T, Resource};
use diesel::{QueryResult, QueryableByName, sql_query, sql_types as st};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;
use uuid::Uuid;

pub const LEVELS: &[&str] = &["debug", "info", "warn", "error"];

pub static LOGS: Resource = Resource {
    name: "logs",
    table: "logs",
    select: "id, level, message, source, session_id, \"timestamp\", url",
    columns: &[
        Column {
            name: "id",
            sql: "id",
            ty: T::Id("log"),
        },
        Column {
            name: "level",
            sql: "level",
            ty: T::Enum(LEVELS),
        },
        Column {
            name: "message",
            sql: "message",
            ty: T::Text,
        },
        Column {
            name: "source",
            sql: "source",
            ty: T::Enum(SOURCES),
        },
        Column {
            name: "sessionId",
            sql: "session_id",
            ty: T::Uuid,
        },
        Column {
            name: "timestamp",
            sql: "\"timestamp\"",
            ty: T::Timestamp,
        },
        Column {
            name: "url",
            sql: "url",
            ty: T::Text,
        },
    ],
    default_order: "timestamp",
    tiebreak: "id",
};

#[derive(Debug, QueryableByName)]
pub struct LogRow {
    #[diesel(sql_type = st::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = st::Text)]
    pub level: String,
    #[diesel(sql_type = st::Text)]
    pub message: String,
    #[diesel(sql_type = st::Text)]
    pub source: String,
    #[diesel(sql_type = st::Nullable<st::Uuid>)]
    pub session_id: Option<Uuid>,
    #[diesel(sql_type = st::Timestamptz)]
    pub timestamp: OffsetDateTime,
    #[diesel(sql_type = st::Nullable<st::Text>)]
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
