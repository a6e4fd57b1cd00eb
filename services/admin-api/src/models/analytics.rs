//! Read-only analytics: `decision_runs` (decision-intelligence model runs) and
//! `seo_keywords` (tracked search rankings).

use crate::{
    listing::{CREATED_AFTER, CREATED_BEFORE},
    schema::{decision_runs, seo_keywords},
};
use diesel::{ExpressionMethods, QueryDsl, Queryable, Selectable, SelectableHelper};
use query::{CollateC, Direction, Kind, ListSpec, NamedFilter, Op, field, sort};
use std::sync::LazyLock;
use time::OffsetDateTime;

pub const RUN_KINDS: &[&str] = &[
    "churn_prediction",
    "next_best_action",
    "ltv_forecast",
    "price_optimization",
];
pub const RUN_STATUSES: &[&str] = &["queued", "running", "succeeded", "failed"];
pub const DEVICES: &[&str] = &["desktop", "mobile"];

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = decision_runs, check_for_backend(diesel::pg::Pg))]
pub struct RunRow {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub records_processed: i64,
    pub summary: serde_json::Value,
    pub started_at: Option<OffsetDateTime>,
    pub completed_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = seo_keywords, check_for_backend(diesel::pg::Pg))]
pub struct KeywordRow {
    pub id: String,
    pub keyword: String,
    pub url: String,
    pub country: String,
    pub device: String,
    pub position: i32,
    pub previous_position: Option<i32>,
    pub search_volume: i32,
    pub difficulty: i32,
    pub clicks: i32,
    pub impressions: i32,
    pub tracked_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
}

pub static RUNS: LazyLock<ListSpec<decision_runs::table, RunRow>> = LazyLock::new(|| ListSpec {
    resource: "run",
    fields: vec![
        field!(
            "kind",
            decision_runs::kind,
            String,
            Kind::Enum(RUN_KINDS),
            [Eq, In],
            "model kind"
        ),
        field!(
            "status",
            decision_runs::status,
            String,
            Kind::Enum(RUN_STATUSES),
            [Eq, In],
            "status"
        ),
        field!(
            "created_at",
            decision_runs::created_at,
            OffsetDateTime,
            Kind::Timestamp,
            [Ge, Lt],
            "creation"
        ),
    ],
    filters: vec![
        NamedFilter {
            name: "kind",
            field: "kind",
            op: Op::In,
            doc: "model kind(s)",
        },
        NamedFilter {
            name: "status",
            field: "status",
            op: Op::In,
            doc: "status(es)",
        },
        CREATED_AFTER,
        CREATED_BEFORE,
    ],
    sorts: vec![
        sort!(
            "created_at",
            decision_runs::created_at,
            OffsetDateTime,
            |r: &RunRow| r.created_at
        ),
        sort!(
            "records_processed",
            decision_runs::records_processed,
            i64,
            |r: &RunRow| r.records_processed
        ),
    ],
    tiebreak: sort!("id", decision_runs::id, String, |r: &RunRow| r.id.clone()),
    default_sort: &[("created_at", Direction::Desc)],
    includes: &[],
});

pub static KEYWORDS: LazyLock<ListSpec<seo_keywords::table, KeywordRow>> =
    LazyLock::new(|| ListSpec {
        resource: "keyword",
        fields: vec![
            field!(
                "country",
                seo_keywords::country,
                String,
                Kind::Text,
                [Eq],
                "country"
            ),
            field!(
                "device",
                seo_keywords::device,
                String,
                Kind::Enum(DEVICES),
                [Eq, In],
                "device"
            ),
            field!(
                "keyword",
                seo_keywords::keyword,
                String,
                Kind::Text,
                [Eq],
                "keyword"
            ),
            field!(
                "position",
                seo_keywords::position,
                i32,
                Kind::Int,
                [Le],
                "ranking"
            ),
            field!(
                "search_volume",
                seo_keywords::search_volume,
                i32,
                Kind::Int,
                [Ge],
                "monthly volume"
            ),
            field!(
                "created_at",
                seo_keywords::created_at,
                OffsetDateTime,
                Kind::Timestamp,
                [Ge, Lt],
                "creation"
            ),
        ],
        filters: vec![
            NamedFilter {
                name: "country",
                field: "country",
                op: Op::Eq,
                doc: "ISO country",
            },
            NamedFilter {
                name: "device",
                field: "device",
                op: Op::In,
                doc: "device(s)",
            },
            NamedFilter {
                name: "keyword",
                field: "keyword",
                op: Op::Eq,
                doc: "exact keyword",
            },
            NamedFilter {
                name: "position_max",
                field: "position",
                op: Op::Le,
                doc: "ranking at or above",
            },
            NamedFilter {
                name: "search_volume_min",
                field: "search_volume",
                op: Op::Ge,
                doc: "monthly volume at least",
            },
            CREATED_AFTER,
            CREATED_BEFORE,
        ],
        sorts: vec![
            sort!("position", seo_keywords::position, i32, |r: &KeywordRow| r
                .position),
            sort!(
                "search_volume",
                seo_keywords::search_volume,
                i32,
                |r: &KeywordRow| r.search_volume
            ),
            sort!("clicks", seo_keywords::clicks, i32, |r: &KeywordRow| r
                .clicks),
            sort!(
                "keyword",
                CollateC(seo_keywords::keyword),
                String,
                |r: &KeywordRow| r.keyword.clone()
            ),
            sort!(
                "created_at",
                seo_keywords::created_at,
                OffsetDateTime,
                |r: &KeywordRow| r.created_at
            ),
        ],
        tiebreak: sort!("id", seo_keywords::id, String, |r: &KeywordRow| r
            .id
            .clone()),
        default_sort: &[("position", Direction::Asc)],
        includes: &[],
    });

crate::listing::tenant_query!(runs, run_by_id, decision_runs, RunRow);

crate::listing::tenant_query!(keywords, keyword_by_id, seo_keywords, KeywordRow);
