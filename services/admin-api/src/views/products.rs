//! Product and inventory-level resource objects.

use super::{Render, ResourceObject, to_one};
use crate::{
    models::products::{InventoryRow, ProductRow},
    money::Money,
};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProductAttributes {
    pub title: String,
    pub description: Option<String>,
    pub sku: String,
    pub status: String,
    pub price: Money,
    pub compare_at_price: Option<Money>,
    pub currency: String,
    pub vendor: Option<String>,
    pub product_type: Option<String>,
    pub tags: Vec<String>,
    /// Sum of `available` over the product's inventory levels.
    pub inventory_quantity: i64,
    #[serde(with = "crate::time_fmt::utc")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::time_fmt::utc")]
    pub updated_at: OffsetDateTime,
}

impl Render for ProductRow {
    type Attributes = ProductAttributes;
    fn render(self) -> ResourceObject<ProductAttributes> {
        ResourceObject {
            kind: "product",
            relationships: Some(json!({
                "inventory": { "links": { "related": format!("/api/v1/inventory?filter[product_id]={}", self.product.id) } },
            })),
            attributes: ProductAttributes {
                title: self.product.title,
                description: self.product.description,
                sku: self.product.sku,
                status: self.product.status,
                price: Money(self.product.price_cents),
                compare_at_price: self.product.compare_at_price_cents.map(Money),
                currency: self.product.currency,
                vendor: self.product.vendor,
                product_type: self.product.product_type,
                tags: self.product.tags,
                inventory_quantity: self.inventory_quantity,
                created_at: self.product.created_at,
                updated_at: self.product.updated_at,
            },
            id: self.product.id,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InventoryAttributes {
    pub location: String,
    pub available: i32,
    pub reserved: i32,
    #[serde(with = "crate::time_fmt::utc")]
    pub updated_at: OffsetDateTime,
}

impl Render for InventoryRow {
    type Attributes = InventoryAttributes;
    fn render(self) -> ResourceObject<InventoryAttributes> {
        ResourceObject {
            kind: "inventory_level",
            relationships: Some(
                json!({ "product": to_one("product", &self.product_id, "products") }),
            ),
            attributes: InventoryAttributes {
                location: self.location,
                available: self.available,
                reserved: self.reserved,
                updated_at: self.updated_at,
            },
            id: self.id,
        }
    }
}
