//! `campaigns` (one-off sends to an audience) and `audiences` (saved segments,
//! referenced by `audience_id`; no endpoint of their own in v1).

use crate::{
    listing::{CREATED_AFTER, CREATED_BEFORE},
    schema::{audiences, campaigns},
};
use diesel::{
    ExpressionMethods, OptionalExtension, QueryDsl, QueryResult, Queryable, Selectable,
    SelectableHelper,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use query::{CollateC, Direction, Kind, ListSpec, NamedFilter, Op, field, sort};
use std::sync::LazyLock;
use time::OffsetDateTime;
use uuid::Uuid;

pub const CHANNELS: &[&str] = &["email", "sms", "push"];
pub const STATUSES: &[&str] = &["draft", "scheduled", "active", "completed", "cancelled"];
/// States a campaign can be launched from.
pub const LAUNCHABLE: &[&str] = &["draft", "scheduled"];

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = campaigns, check_for_backend(diesel::pg::Pg))]
pub struct CampaignRow {
    pub id: String,
    pub name: String,
    pub channel: String,
    pub status: String,
    pub audience_id: String,
    pub subject: Option<String>,
    pub scheduled_at: Option<OffsetDateTime>,
    pub launched_at: Option<OffsetDateTime>,
    pub recipients_count: i32,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub static SPEC: LazyLock<ListSpec<campaigns::table, CampaignRow>> = LazyLock::new(|| ListSpec {
    resource: "campaign",
    fields: vec![
        field!(
            "status",
            campaigns::status,
            String,
            Kind::Enum(STATUSES),
            [Eq, In],
            "status"
        ),
        field!(
            "channel",
            campaigns::channel,
            String,
            Kind::Enum(CHANNELS),
            [Eq, In],
            "channel"
        ),
        field!(
            "audience_id",
            campaigns::audience_id,
            String,
            Kind::PrefixedText("aud_"),
            [Eq],
            "audience"
        ),
        field!(
            "created_at",
            campaigns::created_at,
            OffsetDateTime,
            Kind::Timestamp,
            [Ge, Lt],
            "creation"
        ),
    ],
    filters: vec![
        NamedFilter {
            name: "status",
            field: "status",
            op: Op::In,
            doc: "status(es)",
        },
        NamedFilter {
            name: "channel",
            field: "channel",
            op: Op::In,
            doc: "channel(s)",
        },
        NamedFilter {
            name: "audience_id",
            field: "audience_id",
            op: Op::Eq,
            doc: "target audience",
        },
        CREATED_AFTER,
        CREATED_BEFORE,
    ],
    sorts: vec![
        sort!(
            "created_at",
            campaigns::created_at,
            OffsetDateTime,
            |r: &CampaignRow| r.created_at
        ),
        sort!(
            "updated_at",
            campaigns::updated_at,
            OffsetDateTime,
            |r: &CampaignRow| r.updated_at
        ),
        sort!(
            "name",
            CollateC(campaigns::name),
            String,
            |r: &CampaignRow| r.name.clone()
        ),
        sort!(
            "recipients_count",
            campaigns::recipients_count,
            i32,
            |r: &CampaignRow| r.recipients_count
        ),
    ],
    tiebreak: sort!("id", campaigns::id, String, |r: &CampaignRow| r.id.clone()),
    default_sort: &[("created_at", Direction::Desc)],
    includes: &[],
});

crate::listing::tenant_query!(base, by_id, campaigns, CampaignRow);

/// The size of an audience of this tenant, if it exists.
pub async fn audience_size(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    id: &str,
) -> QueryResult<Option<i32>> {
    audiences::table
        .filter(audiences::tenant_id.eq(tenant))
        .filter(audiences::id.eq(id))
        .select(audiences::size)
        .first(conn)
        .await
        .optional()
}

/// The current status and audience of a campaign, locked for update.
pub async fn lock_status(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    id: &str,
) -> QueryResult<Option<String>> {
    campaigns::table
        .filter(campaigns::tenant_id.eq(tenant))
        .filter(campaigns::id.eq(id))
        .select(campaigns::status)
        .for_update()
        .first(conn)
        .await
        .optional()
}

/// Moves a launchable campaign to `active`, counting its audience as recipients.
pub async fn mark_launched(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    id: &str,
) -> QueryResult<usize> {
    let recipients = audiences::table
        .filter(audiences::tenant_id.eq(tenant))
        .filter(
            audiences::id.eq_any(
                campaigns::table
                    .filter(campaigns::tenant_id.eq(tenant))
                    .filter(campaigns::id.eq(id))
                    .select(campaigns::audience_id),
            ),
        )
        .select(audiences::size)
        .first::<i32>(conn)
        .await
        .optional()?
        .unwrap_or(0);
    diesel::update(
        campaigns::table
            .filter(campaigns::tenant_id.eq(tenant))
            .filter(campaigns::id.eq(id)),
    )
    .set((
        campaigns::status.eq("active"),
        campaigns::launched_at.eq(diesel::dsl::now),
        campaigns::updated_at.eq(diesel::dsl::now),
        campaigns::recipients_count.eq(recipients),
    ))
    .execute(conn)
    .await
}

crate::listing::finder!("campaign", CampaignRow);
