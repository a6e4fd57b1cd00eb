//! The `sessions` table: DSL whitelist ([`SESSIONS`]), row, insert.
//! A session is written once (first write wins; later copies are duplicates).

use super::SOURCES;
use super::column;
use crate::dsl::{Column, ColumnType as T, Resource};
use diesel::{QueryResult, QueryableByName, sql_query, sql_types as st};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;
use uuid::Uuid;

pub static SESSIONS: Resource = Resource {
    name: "sessions",
    table: "sessions",
    select: "id, device_id, external_user_id, platform, browser, utm_source, utm_medium, \
             utm_campaign, referrer, landing_page, source, started_at, created_at",
    columns: &[
        Column {
            name: "id",
            sql: "id",
            ty: T::Id("ses"),
        },
        Column {
            name: "deviceId",
            sql: "device_id",
            ty: T::Uuid,
        },
        Column {
            name: "externalUserId",
            sql: "external_user_id",
            ty: T::Text,
        },
        Column {
            name: "platform",
            sql: "platform",
            ty: T::Text,
        },
        Column {
            name: "browser",
            sql: "browser",
            ty: T::Text,
        },
        Column {
            name: "utmSource",
            sql: "utm_source",
            ty: T::Text,
        },
        Column {
            name: "utmMedium",
            sql: "utm_medium",
            ty: T::Text,
        },
        Column {
            name: "utmCampaign",
            sql: "utm_campaign",
            ty: T::Text,
        },
        Column {
            name: "referrer",
            sql: "referrer",
            ty: T::Text,
        },
        Column {
            name: "landingPage",
            sql: "landing_page",
            ty: T::Text,
        },
        Column {
            name: "source",
            sql: "source",
            ty: T::Enum(SOURCES),
        },
        Column {
            name: "startedAt",
            sql: "started_at",
            ty: T::Timestamp,
        },
        Column {
            name: "createdAt",
            sql: "created_at",
            ty: T::Timestamp,
        },
    ],
    default_order: "createdAt",
    tiebreak: "id",
};

#[derive(Debug, Clone, QueryableByName)]
pub struct SessionRow {
    #[diesel(sql_type = st::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = st::Nullable<st::Uuid>)]
    pub device_id: Option<Uuid>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub external_user_id: Option<String>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub platform: Option<String>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub browser: Option<String>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub utm_source: Option<String>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub utm_medium: Option<String>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub utm_campaign: Option<String>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub referrer: Option<String>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub landing_page: Option<String>,
    #[diesel(sql_type = st::Text)]
    pub source: String,
    #[diesel(sql_type = st::Timestamptz)]
    pub started_at: OffsetDateTime,
    #[diesel(sql_type = st::Timestamptz)]
    pub created_at: OffsetDateTime,
}

/// Inserts sessions (`SessionRow` doubles as the insert shape).
pub async fn insert(
    conn: &mut AsyncPgConnection,
    project: Uuid,
    rows: &[SessionRow],
) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    sql_query(
        "INSERT INTO sessions (project_id, id, device_id, external_user_id, platform, browser, \
         utm_source, utm_medium, utm_campaign, referrer, landing_page, source, started_at, created_at) \
         SELECT $1, t.* FROM unnest($2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], \
         $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], \
         $13::timestamptz[], $14::timestamptz[]) AS t",
    )
    .bind::<st::Uuid, _>(project)
    .bind::<st::Array<st::Uuid>, _>(column!(rows, id))
    .bind::<st::Array<st::Nullable<st::Uuid>>, _>(column!(rows, device_id))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, external_user_id))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, platform))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, browser))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, utm_source))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, utm_medium))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, utm_campaign))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, referrer))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, landing_page))
    .bind::<st::Array<st::Text>, _>(column!(rows, source))
    .bind::<st::Array<st::Timestamptz>, _>(column!(rows, started_at))
    .bind::<st::Array<st::Timestamptz>, _>(column!(rows, created_at))
    .execute(conn)
    .await
}
