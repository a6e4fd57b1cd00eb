//! Order resource objects.

use super::{Render, ResourceObject, to_one};
use crate::{models::orders::OrderRow, money::Money};
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OrderAttributes {
    pub order_number: i64,
    pub status: String,
    pub currency: String,
    pub subtotal: Money,
    pub discount: Money,
    pub shipping: Money,
    pub tax: Money,
    pub total: Money,
    pub items_count: i32,
    pub source: String,
    #[serde(with = "crate::time_fmt::utc")]
    pub placed_at: OffsetDateTime,
    #[serde(with = "crate::time_fmt::utc")]
    pub created_at: OffsetDateTime,
}

impl Render for OrderRow {
    type Attributes = OrderAttributes;
    fn render(self) -> ResourceObject<OrderAttributes> {
        ResourceObject {
            kind: "order",
            relationships: Some(
                serde_json::json!({ "customer": to_one("customer", &self.customer_id, "customers") }),
            ),
            attributes: OrderAttributes {
                order_number: self.order_number,
                status: self.status,
                currency: self.currency,
                subtotal: Money(self.subtotal_cents),
                discount: Money(self.discount_cents),
                shipping: Money(self.shipping_cents),
                tax: Money(self.tax_cents),
                total: Money(self.total_cents),
                items_count: self.items_count,
                source: self.source,
                placed_at: self.placed_at,
                created_at: self.created_at,
            },
            id: self.id,
        }
    }
}
