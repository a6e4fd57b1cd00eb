//! `products` (with their total available inventory) and `inventory_levels`
//! (stock per product and location).

use crate::{
    listing::{CREATED_AFTER, CREATED_BEFORE, MONEY},
    schema::{inventory_levels, products},
};
use diesel::{
    ExpressionMethods, OptionalExtension, QueryDsl, QueryResult, Queryable, Selectable,
    SelectableHelper,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use query::{CollateC, Direction, Kind, ListSpec, NamedFilter, Op, field, sort};
use std::{collections::HashMap, sync::LazyLock};
use time::OffsetDateTime;
use uuid::Uuid;

pub const STATUSES: &[&str] = &["active", "draft", "archived"];

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = products, check_for_backend(diesel::pg::Pg))]
pub struct Product {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub sku: String,
    pub status: String,
    pub price_cents: i64,
    pub compare_at_price_cents: Option<i64>,
    pub currency: String,
    pub vendor: Option<String>,
    pub product_type: Option<String>,
    pub tags: Vec<String>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A product with the sum of its inventory levels (what the API renders).
#[derive(Debug)]
pub struct ProductRow {
    pub product: Product,
    pub inventory_quantity: i64,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = inventory_levels, check_for_backend(diesel::pg::Pg))]
pub struct InventoryRow {
    pub id: String,
    pub product_id: String,
    pub location: String,
    pub available: i32,
    pub reserved: i32,
    pub updated_at: OffsetDateTime,
}

pub static SPEC: LazyLock<ListSpec<products::table, Product>> = LazyLock::new(|| ListSpec {
    resource: "product",
    fields: vec![
        field!(
            "status",
            products::status,
            String,
            Kind::Enum(STATUSES),
            [Eq, In],
            "status"
        ),
        field!("sku", products::sku, String, Kind::Text, [Eq], "SKU"),
        field!(
            "vendor",
            products::vendor,
            String,
            Kind::Text,
            [Eq],
            "vendor"
        ),
        field!(
            "product_type",
            products::product_type,
            String,
            Kind::Text,
            [Eq],
            "product type"
        ),
        field!(
            "tags",
            products::tags,
            String,
            Kind::Text,
            [Contains],
            "tags"
        ),
        field!(
            "price",
            products::price_cents,
            i64,
            MONEY,
            [Ge, Le],
            "price"
        ),
        field!(
            "created_at",
            products::created_at,
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
            name: "sku",
            field: "sku",
            op: Op::Eq,
            doc: "exact SKU",
        },
        NamedFilter {
            name: "vendor",
            field: "vendor",
            op: Op::Eq,
            doc: "vendor",
        },
        NamedFilter {
            name: "product_type",
            field: "product_type",
            op: Op::Eq,
            doc: "product type",
        },
        NamedFilter {
            name: "tag",
            field: "tags",
            op: Op::Contains,
            doc: "products carrying this tag",
        },
        NamedFilter {
            name: "price_min",
            field: "price",
            op: Op::Ge,
            doc: "price at least",
        },
        NamedFilter {
            name: "price_max",
            field: "price",
            op: Op::Le,
            doc: "price at most",
        },
        CREATED_AFTER,
        CREATED_BEFORE,
    ],
    sorts: vec![
        sort!(
            "created_at",
            products::created_at,
            OffsetDateTime,
            |r: &Product| r.created_at
        ),
        sort!(
            "updated_at",
            products::updated_at,
            OffsetDateTime,
            |r: &Product| r.updated_at
        ),
        sort!("title", CollateC(products::title), String, |r: &Product| r
            .title
            .clone()),
        sort!("price", products::price_cents, i64, |r: &Product| r
            .price_cents),
    ],
    tiebreak: sort!("id", products::id, String, |r: &Product| r.id.clone()),
    default_sort: &[("created_at", Direction::Desc)],
    includes: &[],
});

pub static INVENTORY: LazyLock<ListSpec<inventory_levels::table, InventoryRow>> =
    LazyLock::new(|| ListSpec {
        resource: "inventory level",
        fields: vec![
            field!(
                "product_id",
                inventory_levels::product_id,
                String,
                Kind::PrefixedText("prd_"),
                [Eq],
                "product"
            ),
            field!(
                "location",
                inventory_levels::location,
                String,
                Kind::Text,
                [Eq],
                "location"
            ),
            field!(
                "available",
                inventory_levels::available,
                i32,
                Kind::Int,
                [Ge, Le],
                "available"
            ),
        ],
        filters: vec![
            NamedFilter {
                name: "product_id",
                field: "product_id",
                op: Op::Eq,
                doc: "levels of this product",
            },
            NamedFilter {
                name: "location",
                field: "location",
                op: Op::Eq,
                doc: "location name",
            },
            NamedFilter {
                name: "available_min",
                field: "available",
                op: Op::Ge,
                doc: "available at least",
            },
            NamedFilter {
                name: "available_max",
                field: "available",
                op: Op::Le,
                doc: "available at most (low stock)",
            },
        ],
        sorts: vec![
            sort!(
                "updated_at",
                inventory_levels::updated_at,
                OffsetDateTime,
                |r: &InventoryRow| r.updated_at
            ),
            sort!(
                "available",
                inventory_levels::available,
                i32,
                |r: &InventoryRow| r.available
            ),
        ],
        tiebreak: sort!("id", inventory_levels::id, String, |r: &InventoryRow| r
            .id
            .clone()),
        default_sort: &[("available", Direction::Asc)],
        includes: &[],
    });

crate::listing::tenant_query!(base, by_id, products, Product);

/// Adds each product's total available inventory (one grouped query for the page).
pub async fn with_inventory(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    rows: Vec<Product>,
) -> QueryResult<Vec<ProductRow>> {
    let ids: Vec<String> = rows.iter().map(|p| p.id.clone()).collect();
    let sums: HashMap<String, Option<i64>> = inventory_levels::table
        .filter(inventory_levels::tenant_id.eq(tenant))
        .filter(inventory_levels::product_id.eq_any(ids))
        .group_by(inventory_levels::product_id)
        .select((
            inventory_levels::product_id,
            diesel::dsl::sum(inventory_levels::available),
        ))
        .load::<(String, Option<i64>)>(conn)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|product| ProductRow {
            inventory_quantity: sums.get(&product.id).copied().flatten().unwrap_or(0),
            product,
        })
        .collect())
}

crate::listing::tenant_query!(inventory, inventory_by_id, inventory_levels, InventoryRow);

/// Sets (`absolute`) or adjusts (`delta`) one inventory level; returns rows changed (0 = no such level).
pub async fn apply_inventory(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    id: &str,
    absolute: Option<i64>,
    delta: Option<i64>,
) -> QueryResult<usize> {
    let target = inventory_levels::table
        .filter(inventory_levels::tenant_id.eq(tenant))
        .filter(inventory_levels::id.eq(id));
    let out_of_range =
        || diesel::result::Error::SerializationError("inventory out of range".into());
    match (absolute, delta) {
        (Some(n), _) => {
            let n = i32::try_from(n).map_err(|_| out_of_range())?;
            diesel::update(target)
                .set((
                    inventory_levels::available.eq(n),
                    inventory_levels::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await
        }
        (None, Some(d)) => {
            let d = i32::try_from(d).map_err(|_| out_of_range())?;
            diesel::update(target)
                .set((
                    inventory_levels::available.eq(inventory_levels::available + d),
                    inventory_levels::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await
        }
        (None, None) => Ok(0),
    }
}

/// One inventory level of the shop, or 404.
pub async fn find_inventory(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    id: &str,
) -> Result<InventoryRow, error_envelope::ApiError> {
    inventory_by_id(tenant, id)
        .first(conn)
        .await
        .optional()
        .map_err(query::list_error)?
        .ok_or_else(|| error_envelope::ApiError::not_found("inventory level"))
}

/// One product with its inventory total, or 404.
pub async fn find(
    conn: &mut AsyncPgConnection,
    tenant: Uuid,
    id: &str,
) -> Result<ProductRow, error_envelope::ApiError> {
    let product = by_id(tenant, id)
        .first(conn)
        .await
        .optional()
        .map_err(query::list_error)?
        .ok_or_else(|| error_envelope::ApiError::not_found("product"))?;
    with_inventory(conn, tenant, vec![product])
        .await
        .map_err(query::list_error)?
        .pop()
        .ok_or_else(|| error_envelope::ApiError::not_found("product"))
}
