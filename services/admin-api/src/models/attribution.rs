//! `attributions` (one per attributed order and model) and their
//! `touchpoints` (the marketing interactions that earned credit).

use crate::listing::{FilterSpec, Kind, ListSpec, Row, SortSpec};
use diesel::{QueryableByName, sql_types::*};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;

pub const MODELS: &[&str] = &["last_click", "first_click", "linear", "time_decay"];
pub const CHANNELS: &[&str] = &[
    "email",
    "sms",
    "paid_search",
    "organic_search",
    "social",
    "direct",
    "referral",
];

pub static SPEC: ListSpec = ListSpec {
    resource: "attribution",
    table: "attributions",
    columns: "id, order_id, customer_id, model, channel, campaign_id, revenue_cents, converted_at, \
              ARRAY(SELECT t.id FROM touchpoints t WHERE t.tenant_id = attributions.tenant_id \
                    AND t.attribution_id = attributions.id ORDER BY t.position) AS touchpoint_ids",
    filters: &[
        FilterSpec {
            name: "date_from",
            kind: Kind::Date,
            sql: "converted_at >= (?::date)::timestamp AT TIME ZONE 'UTC'",
            doc: "converted on or after this UTC day (YYYY-MM-DD)",
        },
        FilterSpec {
            name: "date_to",
            kind: Kind::Date,
            sql: "converted_at < ((?::date) + 1)::timestamp AT TIME ZONE 'UTC'",
            doc: "converted on or before this UTC day (YYYY-MM-DD, inclusive)",
        },
        FilterSpec {
            name: "channel",
            kind: Kind::Enum(CHANNELS),
            sql: "channel = ?",
            doc: "credited channel(s)",
        },
        FilterSpec {
            name: "model",
            kind: Kind::Enum(MODELS),
            sql: "model = ?",
            doc: "attribution model(s)",
        },
        FilterSpec {
            name: "campaign_id",
            kind: Kind::Id("cam_"),
            sql: "campaign_id = ?",
            doc: "credited campaign",
        },
        FilterSpec {
            name: "customer_id",
            kind: Kind::Id("cus_"),
            sql: "customer_id = ?",
            doc: "converting customer",
        },
    ],
    sorts: &[
        SortSpec {
            name: "converted_at",
            expr: "converted_at",
            cast: "timestamptz",
        },
        SortSpec {
            name: "revenue",
            expr: "revenue_cents",
            cast: "bigint",
        },
    ],
    default_sort: "-converted_at",
    includes: &["touchpoints"],
};

#[derive(Debug, QueryableByName)]
pub struct AttributionRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub order_id: String,
    #[diesel(sql_type = Text)]
    pub customer_id: String,
    #[diesel(sql_type = Text)]
    pub model: String,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub campaign_id: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub revenue_cents: i64,
    #[diesel(sql_type = Timestamptz)]
    pub converted_at: OffsetDateTime,
    #[diesel(sql_type = Array<Text>)]
    pub touchpoint_ids: Vec<String>,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    pub cursor_key: Vec<Option<String>>,
}

impl Row for AttributionRow {
    fn cursor_key(&self) -> &[Option<String>] {
        &self.cursor_key
    }
}

#[derive(Debug, QueryableByName)]
pub struct TouchpointRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub attribution_id: String,
    #[diesel(sql_type = Integer)]
    pub position: i32,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    pub source: String,
    #[diesel(sql_type = Text)]
    pub medium: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub campaign_id: Option<String>,
    #[diesel(sql_type = Double)]
    pub credit: f64,
    #[diesel(sql_type = Timestamptz)]
    pub occurred_at: OffsetDateTime,
}

/// The touchpoints of these attributions (for `include=touchpoints`).
pub async fn touchpoints_of(
    conn: &mut AsyncPgConnection,
    tenant: uuid::Uuid,
    attribution_ids: Vec<String>,
) -> diesel::QueryResult<Vec<TouchpointRow>> {
    diesel::sql_query(
        "SELECT id, attribution_id, position, channel, source, medium, campaign_id, credit, occurred_at \
         FROM touchpoints WHERE tenant_id = $1 AND attribution_id = ANY($2) ORDER BY attribution_id, position",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant)
    .bind::<Array<Text>, _>(attribution_ids)
    .load(conn)
    .await
}
