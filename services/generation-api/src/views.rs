//! Response bodies (never a database row on the wire).

use crate::{
    ids,
    models::{AvatarRow, BrandRow, JobRow},
};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct JobError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobCredits {
    pub estimated: i64,
    pub reserved: i64,
    /// Set when the job is final: what was captured (0 for failed, canceled and test-mode jobs).
    pub charged: Option<i64>,
}

/// A generation job.
#[derive(Debug, Serialize, ToSchema)]
pub struct Job {
    /// `job_…`
    pub id: String,
    /// Always `job`.
    pub object: &'static str,
    /// image | video | ad_video | face_swap | reference_analysis
    #[serde(rename = "type")]
    pub job_type: String,
    /// queued | processing | succeeded | failed | canceled
    pub status: String,
    /// 0–100.
    pub progress: i16,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    pub error: Option<JobError>,
    pub credits: JobCredits,
    #[serde(with = "time::serde::rfc3339::option")]
    pub result_expires_at: Option<OffsetDateTime>,
    pub webhook_url: Option<String>,
    /// false for jobs of `sume_test_` keys.
    pub livemode: bool,
    /// The validated request parameters.
    #[schema(value_type = Object)]
    pub request: Value,
}

impl From<&JobRow> for Job {
    fn from(r: &JobRow) -> Self {
        let error = match (&r.error_code, r.status.as_str()) {
            (Some(code), "failed" | "canceled") => Some(JobError {
                code: code.clone(),
                message: r.error_message.clone().unwrap_or_default(),
            }),
            _ => None,
        };
        Self {
            id: ids::render(ids::JOB, r.id),
            object: "job",
            job_type: r.r#type.clone(),
            status: r.status.clone(),
            progress: r.progress,
            created_at: r.created_at,
            started_at: r.started_at,
            completed_at: r.completed_at,
            error,
            credits: JobCredits {
                estimated: r.credits_estimated,
                reserved: r.credits_reserved,
                charged: r.credits_charged,
            },
            result_expires_at: r.result_expires_at,
            webhook_url: r.webhook_url.clone(),
            livemode: r.env == "live",
            request: r.request.clone(),
        }
    }
}

/// A list page.
#[derive(Debug, Serialize, ToSchema)]
pub struct List<T: ToSchema> {
    /// Always `list`.
    pub object: &'static str,
    pub data: Vec<T>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

/// One output of a succeeded job, with a short-lived signed URL.
#[derive(Debug, Serialize, ToSchema)]
pub struct Output {
    pub index: usize,
    pub url: String,
    pub content_type: String,
    pub bytes: Option<u64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    #[serde(with = "time::serde::rfc3339")]
    pub url_expires_at: OffsetDateTime,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobResult {
    /// Always `job_result`.
    pub object: &'static str,
    pub job_id: String,
    #[serde(rename = "type")]
    pub job_type: String,
    pub status: String,
    pub outputs: Vec<Output>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub result_expires_at: Option<OffsetDateTime>,
}

/// A sanitized Brand DNA profile (internal notes never leave the service).
#[derive(Debug, Serialize, ToSchema)]
pub struct Brand {
    /// `brand_…`
    pub id: String,
    pub object: &'static str,
    pub name: String,
    pub voice: Option<String>,
    #[schema(value_type = Vec<String>)]
    pub palette: Value,
    #[schema(value_type = Vec<String>)]
    pub fonts: Value,
    pub audience: Option<String>,
    #[serde(rename = "do")]
    #[schema(value_type = Vec<String>)]
    pub do_list: Value,
    #[serde(rename = "dont")]
    #[schema(value_type = Vec<String>)]
    pub dont_list: Value,
    pub logo_asset_id: Option<String>,
    pub is_current: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&BrandRow> for Brand {
    fn from(r: &BrandRow) -> Self {
        Self {
            id: ids::render(ids::BRAND, r.id),
            object: "brand",
            name: r.name.clone(),
            voice: r.voice.clone(),
            palette: r.palette.clone(),
            fonts: r.fonts.clone(),
            audience: r.audience.clone(),
            do_list: r.do_list.clone(),
            dont_list: r.dont_list.clone(),
            logo_asset_id: r.logo_asset_id.clone(),
            is_current: r.is_current,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Avatar {
    /// `avt_…`
    pub id: String,
    pub object: &'static str,
    pub name: String,
    /// stock | custom
    #[serde(rename = "type")]
    pub avatar_type: String,
    /// female | male | neutral
    pub gender: String,
    pub style: String,
    /// public (every workspace) or workspace (this workspace's own).
    pub visibility: &'static str,
    pub preview_color: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

impl From<&AvatarRow> for Avatar {
    fn from(r: &AvatarRow) -> Self {
        Self {
            id: ids::render(ids::AVATAR, r.id),
            object: "avatar",
            name: r.name.clone(),
            avatar_type: r.r#type.clone(),
            gender: r.gender.clone(),
            style: r.style.clone(),
            visibility: if r.workspace_id.is_some() {
                "workspace"
            } else {
                "public"
            },
            preview_color: r.preview_color.clone(),
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Credits {
    pub object: &'static str,
    pub balance: i64,
    pub reserved: i64,
    pub available: i64,
    /// free | starter | growth | enterprise
    pub plan: String,
    pub monthly_credits: i64,
    /// Queued or processing jobs of this key's mode.
    pub active_jobs: i64,
    pub max_concurrent_jobs: i32,
    pub livemode: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DryRun {
    /// Always `dry_run`.
    pub object: &'static str,
    pub dry_run: bool,
    #[serde(rename = "type")]
    pub job_type: String,
    /// How many jobs the request would create.
    pub job_count: usize,
    pub credits: DryRunCredits,
    #[schema(value_type = Vec<Object>)]
    pub requests: Vec<Value>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DryRunCredits {
    pub estimated: i64,
    pub available: i64,
    /// Test-mode requests are never charged.
    pub would_charge: bool,
}
