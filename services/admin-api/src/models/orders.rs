//! `orders`: purchases, each by one customer.

use crate::listing::{FilterSpec, Kind, ListSpec, Row, SortSpec};
use diesel::{QueryableByName, sql_types::*};
use time::OffsetDateTime;

pub const STATUSES: &[&str] = &["pending", "paid", "fulfilled", "refunded", "cancelled"];
pub const SOURCES: &[&str] = &["web", "pos", "mobile", "marketplace"];

pub static SPEC: ListSpec = ListSpec {
    resource: "order",
    table: "orders",
    columns: "id, customer_id, order_number, status, currency, subtotal_cents, discount_cents, shipping_cents, \
              tax_cents, total_cents, items_count, source, placed_at, created_at",
    filters: &[
        FilterSpec {
            name: "status",
            kind: Kind::Enum(STATUSES),
            sql: "status = ?",
            doc: "order status(es)",
        },
        FilterSpec {
            name: "source",
            kind: Kind::Enum(SOURCES),
            sql: "source = ?",
            doc: "sales channel(s)",
        },
        FilterSpec {
            name: "customer_id",
            kind: Kind::Id("cus_"),
            sql: "customer_id = ?",
            doc: "orders of this customer",
        },
        FilterSpec {
            name: "currency",
            kind: Kind::Text,
            sql: "currency = ?",
            doc: "ISO 4217 currency",
        },
        FilterSpec {
            name: "total_min",
            kind: Kind::Money,
            sql: "total_cents >= ?::bigint",
            doc: "total at least",
        },
        FilterSpec {
            name: "total_max",
            kind: Kind::Money,
            sql: "total_cents <= ?::bigint",
            doc: "total at most",
        },
        FilterSpec {
            name: "placed_after",
            kind: Kind::Timestamp,
            sql: "placed_at >= ?::timestamptz",
            doc: "placed at or after",
        },
        FilterSpec {
            name: "placed_before",
            kind: Kind::Timestamp,
            sql: "placed_at < ?::timestamptz",
            doc: "placed before",
        },
    ],
    sorts: &[
        SortSpec {
            name: "placed_at",
            expr: "placed_at",
            cast: "timestamptz",
        },
        SortSpec {
            name: "total",
            expr: "total_cents",
            cast: "bigint",
        },
        SortSpec {
            name: "order_number",
            expr: "order_number",
            cast: "bigint",
        },
        SortSpec {
            name: "created_at",
            expr: "created_at",
            cast: "timestamptz",
        },
    ],
    default_sort: "-placed_at",
    includes: &[],
};

#[derive(Debug, QueryableByName)]
pub struct OrderRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub customer_id: String,
    #[diesel(sql_type = BigInt)]
    pub order_number: i64,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = BigInt)]
    pub subtotal_cents: i64,
    #[diesel(sql_type = BigInt)]
    pub discount_cents: i64,
    #[diesel(sql_type = BigInt)]
    pub shipping_cents: i64,
    #[diesel(sql_type = BigInt)]
    pub tax_cents: i64,
    #[diesel(sql_type = BigInt)]
    pub total_cents: i64,
    #[diesel(sql_type = Integer)]
    pub items_count: i32,
    #[diesel(sql_type = Text)]
    pub source: String,
    #[diesel(sql_type = Timestamptz)]
    pub placed_at: OffsetDateTime,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: OffsetDateTime,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    pub cursor_key: Vec<Option<String>>,
}

impl Row for OrderRow {
    fn cursor_key(&self) -> &[Option<String>] {
        &self.cursor_key
    }
}
