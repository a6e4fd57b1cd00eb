//! `campaigns` (one-off sends to an audience) and `audiences` (saved segments,
//! referenced by `audience_id`; no endpoint of their own in v1).

use crate::listing::{FilterSpec, Kind, ListSpec, Row, SortSpec};
use diesel::{QueryableByName, sql_types::*};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;

pub const CHANNELS: &[&str] = &["email", "sms", "push"];
pub const STATUSES: &[&str] = &["draft", "scheduled", "active", "completed", "cancelled"];
/// States a campaign can be launched from.
pub const LAUNCHABLE: &[&str] = &["draft", "scheduled"];

pub static SPEC: ListSpec = ListSpec {
    resource: "campaign",
    table: "campaigns",
    columns: "id, name, channel, status, audience_id, subject, scheduled_at, launched_at, recipients_count, \
              created_at, updated_at",
    filters: &[
        FilterSpec {
            name: "status",
            kind: Kind::Enum(STATUSES),
            sql: "status = ?",
            doc: "status(es)",
        },
        FilterSpec {
            name: "channel",
            kind: Kind::Enum(CHANNELS),
            sql: "channel = ?",
            doc: "channel(s)",
        },
        FilterSpec {
            name: "audience_id",
            kind: Kind::Id("aud_"),
            sql: "audience_id = ?",
            doc: "target audience",
        },
        super::CREATED_AFTER,
        super::CREATED_BEFORE,
    ],
    sorts: &[
        SortSpec {
            name: "created_at",
            expr: "created_at",
            cast: "timestamptz",
        },
        SortSpec {
            name: "updated_at",
            expr: "updated_at",
            cast: "timestamptz",
        },
        SortSpec {
            name: "name",
            expr: "name COLLATE \"C\"",
            cast: "text",
        },
        SortSpec {
            name: "recipients_count",
            expr: "recipients_count",
            cast: "integer",
        },
    ],
    default_sort: "-created_at",
    includes: &[],
};

#[derive(Debug, QueryableByName)]
pub struct CampaignRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub audience_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub subject: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub scheduled_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub launched_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Integer)]
    pub recipients_count: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: OffsetDateTime,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: OffsetDateTime,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    pub cursor_key: Vec<Option<String>>,
}

impl Row for CampaignRow {
    fn cursor_key(&self) -> &[Option<String>] {
        &self.cursor_key
    }
}

#[derive(QueryableByName)]
struct Size {
    #[diesel(sql_type = Integer)]
    size: i32,
}

/// The size of an audience of this tenant, if it exists.
pub async fn audience_size(
    conn: &mut AsyncPgConnection,
    tenant: uuid::Uuid,
    id: &str,
) -> diesel::QueryResult<Option<i32>> {
    let rows: Vec<Size> =
        diesel::sql_query("SELECT size FROM audiences WHERE tenant_id = $1 AND id = $2")
            .bind::<diesel::sql_types::Uuid, _>(tenant)
            .bind::<Text, _>(id)
            .load(conn)
            .await?;
    Ok(rows.into_iter().next().map(|r| r.size))
}

#[derive(QueryableByName)]
struct Status {
    #[diesel(sql_type = Text)]
    status: String,
}

/// The current status of a campaign, locked for update.
pub async fn lock_status(
    conn: &mut AsyncPgConnection,
    tenant: uuid::Uuid,
    id: &str,
) -> diesel::QueryResult<Option<String>> {
    let rows: Vec<Status> = diesel::sql_query(
        "SELECT status FROM campaigns WHERE tenant_id = $1 AND id = $2 FOR UPDATE",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant)
    .bind::<Text, _>(id)
    .load(conn)
    .await?;
    Ok(rows.into_iter().next().map(|r| r.status))
}

/// Moves a launchable campaign to `active`, counting its audience as recipients.
pub async fn mark_launched(
    conn: &mut AsyncPgConnection,
    tenant: uuid::Uuid,
    id: &str,
) -> diesel::QueryResult<usize> {
    diesel::sql_query(
        "UPDATE campaigns c SET status = 'active', launched_at = now(), updated_at = now(), \
         recipients_count = a.size FROM audiences a \
         WHERE c.tenant_id = $1 AND c.id = $2 AND a.tenant_id = c.tenant_id AND a.id = c.audience_id",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant)
    .bind::<Text, _>(id)
    .execute(conn)
    .await
}
