//! `products` (catalog items) and `inventory_levels` (stock of a product at a location).

use crate::listing::{FilterSpec, Kind, ListSpec, Row, SortSpec};
use diesel::{QueryableByName, sql_types::*};
use time::OffsetDateTime;

pub const STATUSES: &[&str] = &["active", "draft", "archived"];

pub static SPEC: ListSpec = ListSpec {
    resource: "product",
    table: "products",
    columns: "id, title, description, sku, status, price_cents, compare_at_price_cents, currency, vendor, \
              product_type, tags, created_at, updated_at, \
              (SELECT COALESCE(sum(il.available), 0)::bigint FROM inventory_levels il \
               WHERE il.tenant_id = products.tenant_id AND il.product_id = products.id) AS inventory_quantity",
    filters: &[
        FilterSpec {
            name: "status",
            kind: Kind::Enum(STATUSES),
            sql: "status = ?",
            doc: "status(es)",
        },
        FilterSpec {
            name: "sku",
            kind: Kind::Text,
            sql: "sku = ?",
            doc: "exact SKU",
        },
        FilterSpec {
            name: "vendor",
            kind: Kind::Text,
            sql: "vendor = ?",
            doc: "vendor",
        },
        FilterSpec {
            name: "product_type",
            kind: Kind::Text,
            sql: "product_type = ?",
            doc: "product type",
        },
        FilterSpec {
            name: "tag",
            kind: Kind::Text,
            sql: "? = ANY(tags)",
            doc: "products carrying this tag",
        },
        FilterSpec {
            name: "price_min",
            kind: Kind::Money,
            sql: "price_cents >= ?::bigint",
            doc: "price at least",
        },
        FilterSpec {
            name: "price_max",
            kind: Kind::Money,
            sql: "price_cents <= ?::bigint",
            doc: "price at most",
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
            name: "title",
            expr: "title COLLATE \"C\"",
            cast: "text",
        },
        SortSpec {
            name: "price",
            expr: "price_cents",
            cast: "bigint",
        },
    ],
    default_sort: "-created_at",
    includes: &[],
};

pub static INVENTORY: ListSpec = ListSpec {
    resource: "inventory level",
    table: "inventory_levels",
    columns: "id, product_id, location, available, reserved, updated_at",
    filters: &[
        FilterSpec {
            name: "product_id",
            kind: Kind::Id("prd_"),
            sql: "product_id = ?",
            doc: "levels of this product",
        },
        FilterSpec {
            name: "location",
            kind: Kind::Text,
            sql: "location = ?",
            doc: "location name",
        },
        FilterSpec {
            name: "available_min",
            kind: Kind::Int,
            sql: "available >= ?::bigint",
            doc: "available at least",
        },
        FilterSpec {
            name: "available_max",
            kind: Kind::Int,
            sql: "available <= ?::bigint",
            doc: "available at most (low stock)",
        },
    ],
    sorts: &[
        SortSpec {
            name: "updated_at",
            expr: "updated_at",
            cast: "timestamptz",
        },
        SortSpec {
            name: "available",
            expr: "available",
            cast: "integer",
        },
    ],
    default_sort: "available",
    includes: &[],
};

#[derive(Debug, QueryableByName)]
pub struct ProductRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub description: Option<String>,
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = BigInt)]
    pub price_cents: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub compare_at_price_cents: Option<i64>,
    #[diesel(sql_type = Text)]
    pub currency: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub vendor: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub product_type: Option<String>,
    #[diesel(sql_type = Array<Text>)]
    pub tags: Vec<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: OffsetDateTime,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: OffsetDateTime,
    #[diesel(sql_type = BigInt)]
    pub inventory_quantity: i64,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    pub cursor_key: Vec<Option<String>>,
}

impl Row for ProductRow {
    fn cursor_key(&self) -> &[Option<String>] {
        &self.cursor_key
    }
}

#[derive(Debug, QueryableByName)]
pub struct InventoryRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub product_id: String,
    #[diesel(sql_type = Text)]
    pub location: String,
    #[diesel(sql_type = Integer)]
    pub available: i32,
    #[diesel(sql_type = Integer)]
    pub reserved: i32,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: OffsetDateTime,
    #[diesel(sql_type = Array<Nullable<Text>>)]
    pub cursor_key: Vec<Option<String>>,
}

impl Row for InventoryRow {
    fn cursor_key(&self) -> &[Option<String>] {
        &self.cursor_key
    }
}

/// Sets or adjusts one inventory level; returns rows changed (0 = no such level).
pub async fn apply_inventory(
    conn: &mut diesel_async::AsyncPgConnection,
    tenant: uuid::Uuid,
    id: &str,
    absolute: Option<i64>,
    delta: Option<i64>,
) -> diesel::QueryResult<usize> {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(
        "UPDATE inventory_levels SET available = COALESCE($3::bigint, available + $4::bigint)::int, \
         updated_at = now() WHERE tenant_id = $1 AND id = $2",
    )
    .bind::<diesel::sql_types::Uuid, _>(tenant)
    .bind::<Text, _>(id)
    .bind::<Nullable<BigInt>, _>(absolute)
    .bind::<Nullable<BigInt>, _>(delta)
    .execute(conn)
    .await
}
