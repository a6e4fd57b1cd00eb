//! `customers`: shoppers of a shop with their lifetime aggregates.

use crate::listing::{FilterSpec, Kind, ListSpec, Row, SortSpec};
use diesel::{QueryableByName, sql_types::*};
use time::OffsetDateTime;

pub const STAGES: &[&str] = &["new", "active", "loyal", "at_risk", "churned"];

pub static SPEC: ListSpec = ListSpec {
    resource: "customer",
    table: "customers",
    columns: "id, email, first_name, last_name, phone, lifecycle_stage, total_spent_cents, orders_count, tags, \
              accepts_marketing, currency, country, note, last_order_at, created_at, updated_at",
    filters: &[
        FilterSpec {
            name: "lifecycle_stage",
            kind: Kind::Enum(STAGES),
            sql: "lifecycle_stage = ?",
            doc: "lifecycle stage(s)",
        },
        FilterSpec {
            name: "tag",
            kind: Kind::Text,
            sql: "? = ANY(tags)",
            doc: "customers carrying this tag",
        },
        FilterSpec {
            name: "email",
            kind: Kind::Text,
            sql: "lower(email) = lower(?)",
            doc: "exact email (case-insensitive)",
        },
        FilterSpec {
            name: "country",
            kind: Kind::Text,
            sql: "country = ?",
            doc: "ISO 3166-1 alpha-2 country",
        },
        FilterSpec {
            name: "accepts_marketing",
            kind: Kind::Bool,
            sql: "accepts_marketing = ?::boolean",
            doc: "marketing consent",
        },
        FilterSpec {
            name: "total_spent_min",
            kind: Kind::Money,
            sql: "total_spent_cents >= ?::bigint",
            doc: "lifetime spend at least",
        },
        FilterSpec {
            name: "total_spent_max",
            kind: Kind::Money,
            sql: "total_spent_cents <= ?::bigint",
            doc: "lifetime spend at most",
        },
        FilterSpec {
            name: "orders_count_min",
            kind: Kind::Int,
            sql: "orders_count >= ?::bigint",
            doc: "at least this many orders",
        },
        FilterSpec {
            name: "last_order_after",
            kind: Kind::Timestamp,
            sql: "last_order_at >= ?::timestamptz",
            doc: "last order at or after",
        },
        FilterSpec {
            name: "last_order_before",
            kind: Kind::Timestamp,
            sql: "last_order_at < ?::timestamptz",
            doc: "last order before",
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
            name: "last_order_at",
            expr: "COALESCE(last_order_at, '-infinity'::timestamptz)",
            cast: "timestamptz",
        },
        SortSpec {
            name: "total_spent",
            expr: "total_spent_cents",
            cast: "bigint",
        },
        SortSpec {
            name: "orders_count",
            expr: "orders_count",
            cast: "integer",
        },
        SortSpec {
            name: "email",
            expr: "email COLLATE \"C\"",
            cast: "text",
        },
    ],
    default_sort: "-created_at",
    includes: &[],
};

#[derive(Debug, QueryableByName)]
pub struct CustomerRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub email: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub first_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub phone: Option<String>,
    #[diesel(sql_type = Text)]
    pub lifecycle_stage: String,
    #[diesel(sql_type = BigInt)]
    pub total_spent_cents: i64,
    #[diesel(sql_type = Integer)]
    pub orders_count: i32,
    #[diesel(sql_type = Array<Text>)]
    pub tags: Vec<String>,
    #[diesel(sql_type = Bool)]
    pub accepts_marketing: bool,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub country: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub note: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_order_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: OffsetDateTime,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: OffsetDateTime,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    pub cursor_key: Vec<Option<String>>,
}

impl Row for CustomerRow {
    fn cursor_key(&self) -> &[Option<String>] {
        &self.cursor_key
    }
}
