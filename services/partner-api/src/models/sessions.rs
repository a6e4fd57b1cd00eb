//! The `sessions` table: DSL whitelist ([`SESSIONS`]), row, insert.
//! A session is written once (first write wins; later copies are duplicates).

use super::SOURCES;
use super::column;
use crate::schema::sessions;
use diesel::{QueryResult, sql_query, sql_types as st};
use diesel::{Queryable, Selectable};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use query::{Direction, Kind, ListSpec, field, order};
use std::sync::LazyLock;
use time::OffsetDateTime;
use uuid::Uuid;

pub static SESSIONS: LazyLock<ListSpec<sessions::table, SessionRow>> = LazyLock::new(|| ListSpec {
    resource: "sessions",
    fields: vec![
        field!(
            "id",
            sessions::id,
            Uuid,
            Kind::PrefixedUuid("ses"),
            [Eq, Ne, In],
            "id"
        ),
        field!(
            "deviceId",
            sessions::device_id,
            Uuid,
            Kind::Uuid,
            [Eq, Ne, In, Is],
            "deviceId"
        ),
        field!(
            "externalUserId",
            sessions::external_user_id,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "externalUserId"
        ),
        field!(
            "platform",
            sessions::platform,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "platform"
        ),
        field!(
            "browser",
            sessions::browser,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "browser"
        ),
        field!(
            "utmSource",
            sessions::utm_source,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "utmSource"
        ),
        field!(
            "utmMedium",
            sessions::utm_medium,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "utmMedium"
        ),
        field!(
            "utmCampaign",
            sessions::utm_campaign,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "utmCampaign"
        ),
        field!(
            "referrer",
            sessions::referrer,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "referrer"
        ),
        field!(
            "landingPage",
            sessions::landing_page,
            String,
            Kind::Text,
            [Eq, Ne, In, Like, Ge, Le, Is],
            "landingPage"
        ),
        field!(
            "source",
            sessions::source,
            String,
            Kind::Enum(SOURCES),
            [Eq, Ne, In, Is],
            "source"
        ),
        field!(
            "startedAt",
            sessions::started_at,
            OffsetDateTime,
            Kind::Timestamp,
            [Eq, Ne, In, Ge, Le, Lt, Is],
            "startedAt"
        ),
        field!(
            "createdAt",
            sessions::created_at,
            OffsetDateTime,
            Kind::Timestamp,
            [Eq, Ne, In, Ge, Le, Lt, Is],
            "createdAt"
        ),
    ],
    filters: vec![],
    sorts: vec![
        order!("id", sessions::id),
        order!("deviceId", sessions::device_id),
        order!("externalUserId", sessions::external_user_id),
        order!("platform", sessions::platform),
        order!("browser", sessions::browser),
        order!("utmSource", sessions::utm_source),
        order!("utmMedium", sessions::utm_medium),
        order!("utmCampaign", sessions::utm_campaign),
        order!("referrer", sessions::referrer),
        order!("landingPage", sessions::landing_page),
        order!("source", sessions::source),
        order!("startedAt", sessions::started_at),
        order!("createdAt", sessions::created_at),
    ],
    tiebreak: order!("id", sessions::id),
    default_sort: &[("createdAt", Direction::Desc)],
    includes: &[],
});

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions, check_for_backend(diesel::pg::Pg))]
pub struct SessionRow {
    pub id: Uuid,
    pub device_id: Option<Uuid>,
    pub external_user_id: Option<String>,
    pub platform: Option<String>,
    pub browser: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub referrer: Option<String>,
    pub landing_page: Option<String>,
    pub source: String,
    pub started_at: OffsetDateTime,
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
    // SQL text on purpose: diesel cannot express `INSERT … SELECT FROM unnest($arrays)`,
    // which binds one array per column (a fixed parameter count and one prepared
    // statement whatever the batch size); `insert_into(..).values(vec)` would bind
    // rows × columns parameters and prepare a new statement per batch size.
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

super::listing::sources!(sessions, SessionRow);
