//! `attributions` (one per attributed order and model) and their
//! `touchpoints` (the marketing interactions that earned credit).

use crate::{
    listing::{Boxed, DAY},
    schema::{attributions, touchpoints},
};
use diesel::{ExpressionMethods, QueryDsl, QueryResult, Queryable, Selectable, SelectableHelper};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use query::{Direction, Kind, ListSpec, NamedFilter, Op, field, sort};
use std::{collections::HashMap, sync::LazyLock};
use time::OffsetDateTime;
use uuid::Uuid;

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

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = attributions, check_for_backend(diesel::pg::Pg))]
pub struct Attribution {
    pub id: String,
    pub order_id: String,
    pub customer_id: String,
    pub model: String,
    pub channel: String,
    pub campaign_id: Option<String>,
    pub revenue_cents: i64,
    pub converted_at: OffsetDateTime,
}

/// An attribution with the ids of its touchpoints in position order (what the API renders).
#[derive(Debug)]
pub struct AttributionRow {
    pub attribution: Attribution,
    pub touchpoint_ids: Vec<String>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = touchpoints, check_for_backend(diesel::pg::Pg))]
pub struct TouchpointRow {
    pub id: String,
    pub attribution_id: String,
    pub position: i32,
    pub channel: String,
    pub source: String,
    pub medium: String,
    pub campaign_id: Option<String>,
    pub credit: f64,
    pub occurred_at: OffsetDateTime,
}

pub static SPEC: LazyLock<ListSpec<attributions::table, Attribution>> =
    LazyLock::new(|| ListSpec {
        resource: "attribution",
        fields: vec![
            field!(
                "converted_at",
                attributions::converted_at,
                OffsetDateTime,
                DAY,
                [Ge, Le, Lt],
                "conversion"
            ),
            field!(
                "channel",
                attributions::channel,
                String,
                Kind::Enum(CHANNELS),
                [Eq, In],
                "channel"
            ),
            field!(
                "model",
                attributions::model,
                String,
                Kind::Enum(MODELS),
                [Eq, In],
                "model"
            ),
            field!(
                "campaign_id",
                attributions::campaign_id,
                String,
                Kind::PrefixedText("cam_"),
                [Eq],
                "campaign"
            ),
            field!(
                "customer_id",
                attributions::customer_id,
                String,
                Kind::PrefixedText("cus_"),
                [Eq],
                "customer"
            ),
        ],
        filters: vec![
            NamedFilter {
                name: "date_from",
                field: "converted_at",
                op: Op::Ge,
                doc: "converted on or after this UTC day (YYYY-MM-DD)",
            },
            NamedFilter {
                name: "date_to",
                field: "converted_at",
                op: Op::Le,
                doc: "converted on or before this UTC day (YYYY-MM-DD, inclusive)",
            },
            NamedFilter {
                name: "channel",
                field: "channel",
                op: Op::In,
                doc: "credited channel(s)",
            },
            NamedFilter {
                name: "model",
                field: "model",
                op: Op::In,
                doc: "attribution model(s)",
            },
            NamedFilter {
                name: "campaign_id",
                field: "campaign_id",
                op: Op::Eq,
                doc: "credited campaign",
            },
            NamedFilter {
                name: "customer_id",
                field: "customer_id",
                op: Op::Eq,
                doc: "converting customer",
            },
        ],
        sorts: vec![
            sort!(
                "converted_at",
                attributions::converted_at,
                OffsetDateTime,
                |r: &Attribution| r.converted_at
            ),
            sort!(
                "revenue",
                attributions::revenue_cents,
                i64,
                |r: &Attribution| r.revenue_cents
            ),
        ],
        tiebreak: sort!("id", attributions::id, String, |r: &Attribution| r
            .id
            .clone()),
        default_sort: &[("converted_at", Direction::Desc)],
        includes: &["touchpoints"],
    });

pub fn base(tenant: Uuid) -> Boxed<attributions::table, Attribution> {
    attributions::table
        .select(Attribution::as_select())
        .into_boxed()
        .filter(attributions::tenant_id.eq(tenant))
}

/// The touchpoints of these attributions, by attribution then position.
pub async fn touchpoints_of(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    attribution_ids: Vec<String>,
) -> QueryResult<Vec<TouchpointRow>> {
    touchpoints::table
        .filter(touchpoints::tenant_id.eq(tenant))
        .filter(touchpoints::attribution_id.eq_any(attribution_ids))
        .order((touchpoints::attribution_id, touchpoints::position))
        .select(TouchpointRow::as_select())
        .load(conn)
        .await
}

/// Adds each attribution's touchpoint ids (one query for the page); also
/// returns the touchpoints themselves for `include=touchpoints`.
pub async fn with_touchpoints(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    rows: Vec<Attribution>,
) -> QueryResult<(Vec<AttributionRow>, Vec<TouchpointRow>)> {
    let ids = rows.iter().map(|a| a.id.clone()).collect();
    let points = touchpoints_of(conn, tenant, ids).await?;
    let mut by_attribution: HashMap<&str, Vec<String>> = HashMap::new();
    for t in &points {
        by_attribution
            .entry(t.attribution_id.as_str())
            .or_default()
            .push(t.id.clone());
    }
    let rows = rows
        .into_iter()
        .map(|attribution| AttributionRow {
            touchpoint_ids: by_attribution
                .remove(attribution.id.as_str())
                .unwrap_or_default(),
            attribution,
        })
        .collect();
    Ok((rows, points))
}
