//! Read-only analytics: `decision_runs` (decision-intelligence model runs) and
//! `seo_keywords` (tracked search rankings).

use crate::listing::{FilterSpec, Kind, ListSpec, Row, SortSpec};
use diesel::{QueryableByName, sql_types::*};
use time::OffsetDateTime;

pub const RUN_KINDS: &[&str] = &[
    "churn_prediction",
    "next_best_action",
    "ltv_forecast",
    "price_optimization",
];
pub const RUN_STATUSES: &[&str] = &["queued", "running", "succeeded", "failed"];
pub const DEVICES: &[&str] = &["desktop", "mobile"];

pub static RUNS: ListSpec = ListSpec {
    resource: "run",
    table: "decision_runs",
    columns: "id, kind, status, records_processed, summary, started_at, completed_at, created_at",
    filters: &[
        FilterSpec {
            name: "kind",
            kind: Kind::Enum(RUN_KINDS),
            sql: "kind = ?",
            doc: "model kind(s)",
        },
        FilterSpec {
            name: "status",
            kind: Kind::Enum(RUN_STATUSES),
            sql: "status = ?",
            doc: "status(es)",
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
            name: "records_processed",
            expr: "records_processed",
            cast: "bigint",
        },
    ],
    default_sort: "-created_at",
    includes: &[],
};

pub static KEYWORDS: ListSpec = ListSpec {
    resource: "keyword",
    table: "seo_keywords",
    columns: "id, keyword, url, country, device, position, previous_position, search_volume, difficulty, clicks, \
              impressions, tracked_at, created_at",
    filters: &[
        FilterSpec {
            name: "country",
            kind: Kind::Text,
            sql: "country = ?",
            doc: "ISO country",
        },
        FilterSpec {
            name: "device",
            kind: Kind::Enum(DEVICES),
            sql: "device = ?",
            doc: "device(s)",
        },
        FilterSpec {
            name: "keyword",
            kind: Kind::Text,
            sql: "keyword = ?",
            doc: "exact keyword",
        },
        FilterSpec {
            name: "position_max",
            kind: Kind::Int,
            sql: "position <= ?::bigint",
            doc: "ranking at or above",
        },
        FilterSpec {
            name: "search_volume_min",
            kind: Kind::Int,
            sql: "search_volume >= ?::bigint",
            doc: "monthly volume at least",
        },
        super::CREATED_AFTER,
        super::CREATED_BEFORE,
    ],
    sorts: &[
        SortSpec {
            name: "position",
            expr: "position",
            cast: "integer",
        },
        SortSpec {
            name: "search_volume",
            expr: "search_volume",
            cast: "integer",
        },
        SortSpec {
            name: "clicks",
            expr: "clicks",
            cast: "integer",
        },
        SortSpec {
            name: "keyword",
            expr: "keyword COLLATE \"C\"",
            cast: "text",
        },
        SortSpec {
            name: "created_at",
            expr: "created_at",
            cast: "timestamptz",
        },
    ],
    default_sort: "position",
    includes: &[],
};

#[derive(Debug, QueryableByName)]
pub struct RunRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = BigInt)]
    pub records_processed: i64,
    #[diesel(sql_type = Jsonb)]
    pub summary: serde_json::Value,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub started_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub completed_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: OffsetDateTime,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    pub cursor_key: Vec<Option<String>>,
}

impl Row for RunRow {
    fn cursor_key(&self) -> &[Option<String>] {
        &self.cursor_key
    }
}

#[derive(Debug, QueryableByName)]
pub struct KeywordRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub keyword: String,
    #[diesel(sql_type = Text)]
    pub url: String,
    #[diesel(sql_type = Text)]
    pub country: String,
    #[diesel(sql_type = Text)]
    pub device: String,
    #[diesel(sql_type = Integer)]
    pub position: i32,
    #[diesel(sql_type = Nullable<Integer>)]
    pub previous_position: Option<i32>,
    #[diesel(sql_type = Integer)]
    pub search_volume: i32,
    #[diesel(sql_type = Integer)]
    pub difficulty: i32,
    #[diesel(sql_type = Integer)]
    pub clicks: i32,
    #[diesel(sql_type = Integer)]
    pub impressions: i32,
    #[diesel(sql_type = Timestamptz)]
    pub tracked_at: OffsetDateTime,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: OffsetDateTime,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    pub cursor_key: Vec<Option<String>>,
}

impl Row for KeywordRow {
    fn cursor_key(&self) -> &[Option<String>] {
        &self.cursor_key
    }
}
