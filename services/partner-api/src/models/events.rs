//! The `events` table: the DSL whitelist ([`EVENTS`]), the row read back, and
//! the batch insert used by ingest.

use super::SOURCES;
use super::column;
use crate::schema::events;
use bigdecimal::BigDecimal;
use diesel::{QueryResult, sql_query, sql_types as st};
use diesel::{Queryable, Selectable};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use query::{Direction, Kind, ListSpec, field, order};
use std::sync::LazyLock;
use time::OffsetDateTime;
use uuid::Uuid;

/// Filterable/sortable event columns: everything the seed lists plus the conversion columns.
pub static EVENTS: LazyLock<ListSpec<events::table, EventRow>> = LazyLock::new(|| ListSpec {
    resource: "events",
    fields: vec![
        field!(
            "id",
            events::id,
            Uuid,
            Kind::PrefixedUuid("evt"),
            [Eq, Ne, In],
            "id"
        ),
        field!(
            "name",
            events::name,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "name"
        ),
        field!(
            "payload",
            events::payload,
            String,
            Kind::Json,
            [LikeJson, Is],
            "payload"
        ),
        field!(
            "sessionId",
            events::session_id,
            Uuid,
            Kind::PrefixedUuid("ses"),
            [Eq, Ne, In, Is],
            "sessionId"
        ),
        field!(
            "externalUserId",
            events::external_user_id,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "externalUserId"
        ),
        field!(
            "timestamp",
            events::timestamp,
            OffsetDateTime,
            Kind::Timestamp,
            [Eq, Ne, In, Ge, Le, Lt, Is],
            "timestamp"
        ),
        field!(
            "url",
            events::url,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "url"
        ),
        field!(
            "platform",
            events::platform,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "platform"
        ),
        field!(
            "browser",
            events::browser,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "browser"
        ),
        field!(
            "source",
            events::source,
            String,
            Kind::Enum(SOURCES),
            [Eq, Ne, In, Is],
            "source"
        ),
        field!(
            "orderId",
            events::order_id,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "orderId"
        ),
        field!(
            "totalAmount",
            events::total_amount,
            BigDecimal,
            Kind::Decimal,
            [Eq, Ne, In, Ge, Le, Is],
            "totalAmount"
        ),
        field!(
            "currency",
            events::currency,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "currency"
        ),
        field!(
            "productId",
            events::product_id,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "productId"
        ),
        field!(
            "utmSource",
            events::utm_source,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "utmSource"
        ),
        field!(
            "utmMedium",
            events::utm_medium,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "utmMedium"
        ),
        field!(
            "utmCampaign",
            events::utm_campaign,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "utmCampaign"
        ),
    ],
    filters: vec![],
    sorts: vec![
        order!("id", events::id),
        order!("name", events::name),
        order!("sessionId", events::session_id),
        order!("externalUserId", events::external_user_id),
        order!("timestamp", events::timestamp),
        order!("url", events::url),
        order!("platform", events::platform),
        order!("browser", events::browser),
        order!("source", events::source),
        order!("orderId", events::order_id),
        order!("totalAmount", events::total_amount),
        order!("currency", events::currency),
        order!("productId", events::product_id),
        order!("utmSource", events::utm_source),
        order!("utmMedium", events::utm_medium),
        order!("utmCampaign", events::utm_campaign),
    ],
    tiebreak: order!("id", events::id),
    default_sort: &[("timestamp", Direction::Desc)],
    includes: &[],
});

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = events, check_for_backend(diesel::pg::Pg))]
pub struct EventRow {
    pub id: Uuid,
    pub name: String,
    pub payload: serde_json::Value,
    pub session_id: Option<Uuid>,
    pub external_user_id: Option<String>,
    pub timestamp: OffsetDateTime,
    pub url: Option<String>,
    pub platform: Option<String>,
    pub browser: Option<String>,
    pub source: String,
    pub order_id: Option<String>,
    pub total_amount: Option<BigDecimal>,
    pub currency: Option<String>,
    pub product_id: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
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
    // SQL text on purpose: diesel cannot express `INSERT … SELECT FROM unnest($arrays)`,
    // which binds one array per column (a fixed parameter count and one prepared
    // statement whatever the batch size); `insert_into(..).values(vec)` would bind
    // rows × columns parameters and prepare a new statement per batch size.
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

super::listing::sources!(events, EventRow);
