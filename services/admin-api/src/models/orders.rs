//! `orders`: purchases, each by one customer.

use crate::{
    listing::{Boxed, MONEY},
    schema::orders,
};
use diesel::{ExpressionMethods, QueryDsl, Queryable, Selectable, SelectableHelper};
use query::{Direction, Kind, ListSpec, NamedFilter, Op, field, sort};
use std::sync::LazyLock;
use time::OffsetDateTime;
use uuid::Uuid;

pub const STATUSES: &[&str] = &["pending", "paid", "fulfilled", "refunded", "cancelled"];
pub const SOURCES: &[&str] = &["web", "pos", "mobile", "marketplace"];

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = orders, check_for_backend(diesel::pg::Pg))]
pub struct OrderRow {
    pub id: String,
    pub customer_id: String,
    pub order_number: i64,
    pub status: String,
    pub currency: String,
    pub subtotal_cents: i64,
    pub discount_cents: i64,
    pub shipping_cents: i64,
    pub tax_cents: i64,
    pub total_cents: i64,
    pub items_count: i32,
    pub source: String,
    pub placed_at: OffsetDateTime,
    pub created_at: OffsetDateTime,
}

pub static SPEC: LazyLock<ListSpec<orders::table, OrderRow>> = LazyLock::new(|| ListSpec {
    resource: "order",
    fields: vec![
        field!(
            "status",
            orders::status,
            String,
            Kind::Enum(STATUSES),
            [Eq, In],
            "status"
        ),
        field!(
            "source",
            orders::source,
            String,
            Kind::Enum(SOURCES),
            [Eq, In],
            "sales channel"
        ),
        field!(
            "customer_id",
            orders::customer_id,
            String,
            Kind::PrefixedText("cus_"),
            [Eq],
            "customer"
        ),
        field!(
            "currency",
            orders::currency,
            String,
            Kind::Text,
            [Eq],
            "ISO 4217 currency"
        ),
        field!("total", orders::total_cents, i64, MONEY, [Ge, Le], "total"),
        field!(
            "placed_at",
            orders::placed_at,
            OffsetDateTime,
            Kind::Timestamp,
            [Ge, Lt],
            "placement"
        ),
    ],
    filters: vec![
        NamedFilter {
            name: "status",
            field: "status",
            op: Op::In,
            doc: "order status(es)",
        },
        NamedFilter {
            name: "source",
            field: "source",
            op: Op::In,
            doc: "sales channel(s)",
        },
        NamedFilter {
            name: "customer_id",
            field: "customer_id",
            op: Op::Eq,
            doc: "orders of this customer",
        },
        NamedFilter {
            name: "currency",
            field: "currency",
            op: Op::Eq,
            doc: "ISO 4217 currency",
        },
        NamedFilter {
            name: "total_min",
            field: "total",
            op: Op::Ge,
            doc: "total at least",
        },
        NamedFilter {
            name: "total_max",
            field: "total",
            op: Op::Le,
            doc: "total at most",
        },
        NamedFilter {
            name: "placed_after",
            field: "placed_at",
            op: Op::Ge,
            doc: "placed at or after",
        },
        NamedFilter {
            name: "placed_before",
            field: "placed_at",
            op: Op::Lt,
            doc: "placed before",
        },
    ],
    sorts: vec![
        sort!(
            "placed_at",
            orders::placed_at,
            OffsetDateTime,
            |r: &OrderRow| r.placed_at
        ),
        sort!("total", orders::total_cents, i64, |r: &OrderRow| r
            .total_cents),
        sort!("order_number", orders::order_number, i64, |r: &OrderRow| r
            .order_number),
        sort!(
            "created_at",
            orders::created_at,
            OffsetDateTime,
            |r: &OrderRow| r.created_at
        ),
    ],
    tiebreak: sort!("id", orders::id, String, |r: &OrderRow| r.id.clone()),
    default_sort: &[("placed_at", Direction::Desc)],
    includes: &[],
});

crate::listing::tenant_query!(base, by_id, orders, OrderRow);

/// The orders of one customer (`/customers/{id}/orders`).
pub fn of_customer(tenant: Uuid, customer_id: &str) -> Boxed<orders::table, OrderRow> {
    base(tenant).filter(orders::customer_id.eq(customer_id.to_owned()))
}

crate::listing::finder!("order", OrderRow);
