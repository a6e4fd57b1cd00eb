//! `customers`: shoppers of a shop with their lifetime aggregates.

use crate::{
    listing::{CREATED_AFTER, CREATED_BEFORE, MONEY},
    schema::customers,
};
use diesel::{ExpressionMethods, QueryDsl, Queryable, Selectable, SelectableHelper};
use query::{
    CollateC, Direction, Kind, ListSpec, NamedFilter, NegInfinity, Op, coalesce, field, sort,
};
use std::sync::LazyLock;
use time::OffsetDateTime;

pub const STAGES: &[&str] = &["new", "active", "loyal", "at_risk", "churned"];

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = customers, check_for_backend(diesel::pg::Pg))]
pub struct CustomerRow {
    pub id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub lifecycle_stage: String,
    pub total_spent_cents: i64,
    pub orders_count: i32,
    pub tags: Vec<String>,
    pub accepts_marketing: bool,
    pub currency: String,
    pub country: Option<String>,
    pub note: Option<String>,
    pub last_order_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

pub static SPEC: LazyLock<ListSpec<customers::table, CustomerRow>> = LazyLock::new(|| ListSpec {
    resource: "customer",
    fields: vec![
        field!(
            "lifecycle_stage",
            customers::lifecycle_stage,
            String,
            Kind::Enum(STAGES),
            [Eq, In],
            "lifecycle stage"
        ),
        field!(
            "tags",
            customers::tags,
            String,
            Kind::Text,
            [Contains],
            "tags"
        ),
        field!(
            "email",
            customers::email,
            String,
            Kind::Text,
            [EqIgnoreCase],
            "email"
        ),
        field!(
            "country",
            customers::country,
            String,
            Kind::Text,
            [Eq],
            "ISO 3166-1 alpha-2 country"
        ),
        field!(
            "accepts_marketing",
            customers::accepts_marketing,
            bool,
            Kind::Bool,
            [Eq],
            "marketing consent"
        ),
        field!(
            "total_spent",
            customers::total_spent_cents,
            i64,
            MONEY,
            [Ge, Le],
            "lifetime spend"
        ),
        field!(
            "orders_count",
            customers::orders_count,
            i32,
            Kind::Int,
            [Ge],
            "orders"
        ),
        field!(
            "last_order_at",
            customers::last_order_at,
            OffsetDateTime,
            Kind::Timestamp,
            [Ge, Lt],
            "last order"
        ),
        field!(
            "created_at",
            customers::created_at,
            OffsetDateTime,
            Kind::Timestamp,
            [Ge, Lt],
            "creation"
        ),
    ],
    filters: vec![
        NamedFilter {
            name: "lifecycle_stage",
            field: "lifecycle_stage",
            op: Op::In,
            doc: "lifecycle stage(s)",
        },
        NamedFilter {
            name: "tag",
            field: "tags",
            op: Op::Contains,
            doc: "customers carrying this tag",
        },
        NamedFilter {
            name: "email",
            field: "email",
            op: Op::EqIgnoreCase,
            doc: "exact email (case-insensitive)",
        },
        NamedFilter {
            name: "country",
            field: "country",
            op: Op::Eq,
            doc: "ISO 3166-1 alpha-2 country",
        },
        NamedFilter {
            name: "accepts_marketing",
            field: "accepts_marketing",
            op: Op::Eq,
            doc: "marketing consent",
        },
        NamedFilter {
            name: "total_spent_min",
            field: "total_spent",
            op: Op::Ge,
            doc: "lifetime spend at least",
        },
        NamedFilter {
            name: "total_spent_max",
            field: "total_spent",
            op: Op::Le,
            doc: "lifetime spend at most",
        },
        NamedFilter {
            name: "orders_count_min",
            field: "orders_count",
            op: Op::Ge,
            doc: "at least this many orders",
        },
        NamedFilter {
            name: "last_order_after",
            field: "last_order_at",
            op: Op::Ge,
            doc: "last order at or after",
        },
        NamedFilter {
            name: "last_order_before",
            field: "last_order_at",
            op: Op::Lt,
            doc: "last order before",
        },
        CREATED_AFTER,
        CREATED_BEFORE,
    ],
    sorts: vec![
        sort!(
            "created_at",
            customers::created_at,
            OffsetDateTime,
            |r: &CustomerRow| r.created_at
        ),
        sort!(
            "updated_at",
            customers::updated_at,
            OffsetDateTime,
            |r: &CustomerRow| r.updated_at
        ),
        // Never-ordered customers sort first, as the index `COALESCE(last_order_at, '-infinity')` holds them.
        sort!(
            "last_order_at",
            coalesce(customers::last_order_at, NegInfinity),
            OffsetDateTime,
            |r: &CustomerRow| r.last_order_at,
            null = NegInfinity,
        ),
        sort!(
            "total_spent",
            customers::total_spent_cents,
            i64,
            |r: &CustomerRow| r.total_spent_cents
        ),
        sort!(
            "orders_count",
            customers::orders_count,
            i32,
            |r: &CustomerRow| r.orders_count
        ),
        sort!(
            "email",
            CollateC(customers::email),
            String,
            |r: &CustomerRow| r.email.clone()
        ),
    ],
    tiebreak: sort!("id", customers::id, String, |r: &CustomerRow| r.id.clone()),
    default_sort: &[("created_at", Direction::Desc)],
    includes: &[],
});

crate::listing::tenant_query!(base, by_id, customers, CustomerRow);

crate::listing::exists_fn!(customers);

crate::listing::finder!("customer", CustomerRow);
