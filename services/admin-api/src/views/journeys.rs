//! Journey and enrollment resource objects.

use super::{Render, ResourceObject, related, to_one};
use crate::models::journeys::{EnrollmentRow, JourneyRow};
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JourneyAttributes {
    pub name: String,
    pub trigger: String,
    pub status: String,
    #[schema(value_type = Object)]
    pub steps: serde_json::Value,
    pub enrollments_count: i32,
    #[serde(with = "crate::time_fmt::utc")]
    pub created_at: OffsetDateTime,
    #[serde(with = "crate::time_fmt::utc")]
    pub updated_at: OffsetDateTime,
}

impl Render for JourneyRow {
    type Attributes = JourneyAttributes;
    fn render(self) -> ResourceObject<JourneyAttributes> {
        ResourceObject {
            kind: "journey",
            relationships: Some(
                json!({ "enrollments": related(format!("/api/v1/journeys/{}/enrollments", self.id)) }),
            ),
            attributes: JourneyAttributes {
                name: self.name,
                trigger: self.trigger,
                status: self.status,
                steps: self.steps,
                enrollments_count: self.enrollments_count,
                created_at: self.created_at,
                updated_at: self.updated_at,
            },
            id: self.id,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EnrollmentAttributes {
    pub status: String,
    pub current_step: i32,
    #[serde(with = "crate::time_fmt::utc")]
    pub enrolled_at: OffsetDateTime,
    #[serde(with = "crate::time_fmt::utc_opt")]
    pub completed_at: Option<OffsetDateTime>,
    #[serde(with = "crate::time_fmt::utc_opt")]
    pub exited_at: Option<OffsetDateTime>,
}

impl Render for EnrollmentRow {
    type Attributes = EnrollmentAttributes;
    fn render(self) -> ResourceObject<EnrollmentAttributes> {
        ResourceObject {
            kind: "enrollment",
            relationships: Some(json!({
                "journey": { "data": { "type": "journey", "id": self.journey_id } },
                "customer": to_one("customer", &self.customer_id, "customers"),
            })),
            attributes: EnrollmentAttributes {
                status: self.status,
                current_step: self.current_step,
                enrolled_at: self.enrolled_at,
                completed_at: self.completed_at,
                exited_at: self.exited_at,
            },
            id: self.id,
        }
    }
}
