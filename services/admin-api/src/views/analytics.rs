//! Decision-intelligence run and SEO keyword resource objects.

use super::{Render, ResourceObject};
use crate::models::analytics::{KeywordRow, RunRow};
use serde::Serialize;
use time::OffsetDateTime;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunAttributes {
    pub kind: String,
    pub status: String,
    pub records_processed: i64,
    #[schema(value_type = Object)]
    pub summary: serde_json::Value,
    #[serde(with = "crate::time_fmt::utc_opt")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(with = "crate::time_fmt::utc_opt")]
    pub completed_at: Option<OffsetDateTime>,
    #[serde(with = "crate::time_fmt::utc")]
    pub created_at: OffsetDateTime,
}

impl Render for RunRow {
    type Attributes = RunAttributes;
    fn render(self) -> ResourceObject<RunAttributes> {
        ResourceObject {
            kind: "decision_run",
            relationships: None,
            attributes: RunAttributes {
                kind: self.kind,
                status: self.status,
                records_processed: self.records_processed,
                summary: self.summary,
                started_at: self.started_at,
                completed_at: self.completed_at,
                created_at: self.created_at,
            },
            id: self.id,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct KeywordAttributes {
    pub keyword: String,
    pub url: String,
    pub country: String,
    pub device: String,
    pub position: i32,
    pub previous_position: Option<i32>,
    /// previous_position − position (positive = moved up).
    pub position_change: Option<i32>,
    pub search_volume: i32,
    pub difficulty: i32,
    pub clicks: i32,
    pub impressions: i32,
    #[serde(with = "crate::time_fmt::utc")]
    pub tracked_at: OffsetDateTime,
    #[serde(with = "crate::time_fmt::utc")]
    pub created_at: OffsetDateTime,
}

impl Render for KeywordRow {
    type Attributes = KeywordAttributes;
    fn render(self) -> ResourceObject<KeywordAttributes> {
        ResourceObject {
            kind: "seo_keyword",
            relationships: None,
            attributes: KeywordAttributes {
                position_change: self.previous_position.map(|p| p - self.position),
                keyword: self.keyword,
                url: self.url,
                country: self.country,
                device: self.device,
                position: self.position,
                previous_position: self.previous_position,
                search_volume: self.search_volume,
                difficulty: self.difficulty,
                clicks: self.clicks,
                impressions: self.impressions,
                tracked_at: self.tracked_at,
                created_at: self.created_at,
            },
            id: self.id,
        }
    }
}
