//! Attribution and touchpoint resource objects.

use super::{Render, ResourceObject, to_one, to_one_opt};
use crate::{
    models::attribution::{AttributionRow, TouchpointRow},
    money::Money,
};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttributionAttributes {
    pub model: String,
    pub channel: String,
    pub revenue: Money,
    #[serde(with = "crate::time_fmt::utc")]
    pub converted_at: OffsetDateTime,
    pub touchpoints_count: usize,
}

impl Render for AttributionRow {
    type Attributes = AttributionAttributes;
    fn render(self) -> ResourceObject<AttributionAttributes> {
        let touchpoints: Vec<_> = self
            .touchpoint_ids
            .iter()
            .map(|id| json!({"type": "touchpoint", "id": id}))
            .collect();
        ResourceObject {
            kind: "attribution",
            relationships: Some(json!({
                "order": to_one("order", &self.attribution.order_id, "orders"),
                "customer": to_one("customer", &self.attribution.customer_id, "customers"),
                "campaign": to_one_opt("campaign", self.attribution.campaign_id.as_deref(), "campaigns"),
                "touchpoints": { "data": touchpoints },
            })),
            attributes: AttributionAttributes {
                model: self.attribution.model,
                channel: self.attribution.channel,
                revenue: Money(self.attribution.revenue_cents),
                converted_at: self.attribution.converted_at,
                touchpoints_count: self.touchpoint_ids.len(),
            },
            id: self.attribution.id,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TouchpointAttributes {
    pub position: i32,
    pub channel: String,
    pub source: String,
    pub medium: String,
    /// Share of the conversion credited to this touchpoint (0–1).
    pub credit: f64,
    #[serde(with = "crate::time_fmt::utc")]
    pub occurred_at: OffsetDateTime,
}

impl Render for TouchpointRow {
    type Attributes = TouchpointAttributes;
    fn render(self) -> ResourceObject<TouchpointAttributes> {
        ResourceObject {
            kind: "touchpoint",
            relationships: Some(json!({
                "attribution": { "data": { "type": "attribution", "id": self.attribution_id } },
                "campaign": to_one_opt("campaign", self.campaign_id.as_deref(), "campaigns"),
            })),
            attributes: TouchpointAttributes {
                position: self.position,
                channel: self.channel,
                source: self.source,
                medium: self.medium,
                credit: self.credit,
                occurred_at: self.occurred_at,
            },
            id: self.id,
        }
    }
}
