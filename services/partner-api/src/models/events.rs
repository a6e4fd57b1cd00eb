//! The `events` table: the DSL whitelist ([`EVENTS`]), the row read back, and
//! the batch insert used by ingest.

use super::SOURCES;
use super::column;
use crate::dsl::{Column, ColumnType as T, Resource};
use diesel::{QueryResult, QueryableByName, sql_query, sql_types as st};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;
use uuid::Uuid;

/// Filterable/sortable event columns: everything the seed lists plus the conversion columns.
pub static EVENTS: Resource = Resource {
    name: "events",
    table: "events",
    select: "id, name, payload, session_id, external_user_id, \"timestamp\", url, platform, browser, \
             source, order_id, total_amount::float8 AS total_amount, currency, product_id, \
             utm_source, utm_medium, utm_campaign",
    columns: &[
        Column {
            name: "id",
            sql: "id",
            ty: T::Id("evt"),
        },
        Column {
            name: "name",
            sql: "name",
            ty: T::Text,
        },
        Column {
            name: "payload",
            sql: "payload",
            ty: T::Json,
        },
        Column {
            name: "sessionId",
            sql: "session_id",
            ty: T::Uuid,
        },
        Column {
            name: "externalUserId",
            sql: "external_user_id",
            ty: T::Text,
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
            name: "source",
            sql: "source",
            ty: T::Enum(SOURCES),
        },
        Column {
            name: "orderId",
            sql: "order_id",
            ty: T::Text,
        },
        Column {
            name: "totalAmount",
            sql: "total_amount",
            ty: T::Number,
        },
        Column {
            name: "currency",
            sql: "currency",
            ty: T::Text,
        },
        Column {
            name: "productId",
            sql: "product_id",
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
    ],
    default_order: "timestamp",
    tiebreak: "id",
};

#[derive(Debug, QueryableByName)]
pub struct EventRow {
    #[diesel(sql_type = st::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = st::Text)]
    pub name: String,
    #[diesel(sql_type = st::Jsonb)]
    pub payload: serde_json::Value,
    #[diesel(sql_type = st::Nullable<st::Uuid>)]
    pub session_id: Option<Uuid>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub external_user_id: Option<String>,
    #[diesel(sql_type = st::Timestamptz)]
    pub timestamp: OffsetDateTime,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub url: Option<String>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub platform: Option<String>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub browser: Option<String>,
    #[diesel(sql_type = st::Text)]
    pub source: String,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub order_id: Option<String>,
    #[diesel(sql_type = st::Nullable<st::Double>)]
    pub total_amount: Option<f64>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub currency: Option<String>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub product_id: Option<String>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub utm_source: Option<String>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub utm_medium: Option<String>,
    #[diesel(sql_type = st::Nullable<st::Text>)]
    pub utm_campaign: Option<String>,
}

/// A validated event ready for insertion.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: Uuid,
    pub timestamp: OffsetDateTime,
    pub received_at: OffsetDateTime,
    pub name: String,
    pub payload: serde_json::Value,
    pub session_id: Option<Uuid>,
    pub external_user_id: Option<String>,
    pub url: Option<String>,
    pub platform: Option<String>,
    pub browser: Option<String>,
    pub source: String,
    pub message_id: Option<String>,
    pub order_id: Option<String>,
    /// A validated decimal literal.
    pub total_amount: Option<String>,
    pub currency: Option<String>,
    pub product_id: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
}

/// Inserts `rows` with one statement (arrays + unnest: a fixed number of parameters per batch).
pub async fn insert(
    conn: &mut AsyncPgConnection,
    project: Uuid,
    rows: &[NewEvent],
) -> QueryResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    sql_query(
        "INSERT INTO events (project_id, id, \"timestamp\", received_at, name, payload, session_id, \
         external_user_id, url, platform, browser, source, message_id, order_id, total_amount, \
         currency, product_id, utm_source, utm_medium, utm_campaign) \
         SELECT $1, t.* FROM unnest($2::uuid[], $3::timestamptz[], $4::timestamptz[], $5::text[], \
         $6::jsonb[], $7::uuid[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], \
         $13::text[], $14::text[], CAST($15::text[] AS numeric[]), $16::text[], $17::text[], \
         $18::text[], $19::text[], $20::text[]) AS t",
    )
    .bind::<st::Uuid, _>(project)
    .bind::<st::Array<st::Uuid>, _>(column!(rows, id))
    .bind::<st::Array<st::Timestamptz>, _>(column!(rows, timestamp))
    .bind::<st::Array<st::Timestamptz>, _>(column!(rows, received_at))
    .bind::<st::Array<st::Text>, _>(column!(rows, name))
    .bind::<st::Array<st::Jsonb>, _>(column!(rows, payload))
    .bind::<st::Array<st::Nullable<st::Uuid>>, _>(column!(rows, session_id))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, external_user_id))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, url))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, platform))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, browser))
    .bind::<st::Array<st::Text>, _>(column!(rows, source))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, message_id))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, order_id))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, total_amount))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, currency))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, product_id))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, utm_source))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, utm_medium))
    .bind::<st::Array<st::Nullable<st::Text>>, _>(column!(rows, utm_campaign))
    .execute(conn)
    .await
}
