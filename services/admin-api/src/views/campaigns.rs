//! Campaign resource objects.

use super::{Render, ResourceObject};
use crate::models::campaigns::CampaignRow;
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CampaignAttributes {
    pub name: String,
    pub channel: String,
    pub status: String,
    pub audience_id: String,
    pub subject: Option<String>,
    #[serde(with = "crate::time_fmt::utc_opt")]
    pub scheduled_at: Option<OffsetDateTime>,
    #[serde(with = "crate::time_fmt::utc_opt")]
    pub launched_at: Option<OffsetDateTime>,
    pub recipients_count: i32,
    #[serde(with = "crate::time_fmt::utc")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::time_fmt::utc")]
    pub updated_at: OffsetDateTime,
}

impl Render for CampaignRow {
    type Attributes = CampaignAttributes;
    fn render(self) -> ResourceObject<CampaignAttributes> {
        ResourceObject {
            kind: "campaign",
            relationships: Some(json!({
                "audience": { "data": { "type": "audience", "id": self.audience_id } },
            })),
            attributes: CampaignAttributes {
                name: self.name,
                channel: self.channel,
                status: self.status,
                audience_id: self.audience_id,
                subject: self.subject,
                scheduled_at: self.scheduled_at,
                launched_at: self.launched_at,
                recipients_count: self.recipients_count,
                created_at: self.created_at,
                updated_at: self.updated_at,
            },
            id: self.id,
        }
    }
}
