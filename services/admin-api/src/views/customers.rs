//! Customer and order resource objects.

use super::{Render, ResourceObject, related};
use crate::{models::customers::CustomerRow, money::Money};
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerAttributes {
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub lifecycle_stage: String,
    pub total_spent: Money,
    pub orders_count: i32,
    pub tags: Vec<String>,
    pub accepts_marketing: bool,
    pub currency: String,
    pub country: Option<String>,
    pub note: Option<String>,
    #[serde(with = "crate::time_fmt::utc_opt")]
    pub last_order_at: Option<OffsetDateTime>,
    #[serde(with = "crate::time_fmt::utc")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::time_fmt::utc")]
    pub updated_at: OffsetDateTime,
}

impl Render for CustomerRow {
    type Attributes = CustomerAttributes;
    fn render(self) -> ResourceObject<CustomerAttributes> {
        let relationships = serde_json::json!({
            "orders": related(format!("/api/v1/customers/{}/orders", self.id)),
        });
        ResourceObject {
            kind: "customer",
            relationships: Some(relationships),
            attributes: CustomerAttributes {
                email: self.email,
                first_name: self.first_name,
                last_name: self.last_name,
                phone: self.phone,
                lifecycle_stage: self.lifecycle_stage,
                total_spent: Money(self.total_spent_cents),
                orders_count: self.orders_count,
                tags: self.tags,
                accepts_marketing: self.accepts_marketing,
                currency: self.currency,
                country: self.country,
                note: self.note,
                last_order_at: self.last_order_at,
                created_at: self.created_at,
                updated_at: self.updated_at,
            },
            id: self.id,
        }
    }
}
