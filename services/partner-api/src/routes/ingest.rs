//! `POST /sdk/ingest`: no bearer; the project comes from `projectId` in the body.

use crate::{AppState, ingest};
use actix_web::{HttpRequest, HttpResponse, web};
use error_envelope::{ApiError, ErrorCode};
use time::OffsetDateTime;

/// Media types ingest accepts: JSON, and `text/plain` — the CORS-safelisted type the
/// browser SDK (`sdks/ingest`, `sendBeacon`) sends so that a batch needs no preflight.
pub const INGEST_MEDIA_TYPES: &[&str] =
    &["application/json", "application/vnd.api+json", "text/plain"];

pub async fn ingest(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let received_at = OffsetDateTime::now_utc();
    let limits = &state.config.ingest;
    error_envelope::require_media_type(&req, INGEST_MEDIA_TYPES)?;
    if body.len() > limits.max_body_bytes {
        return Err(ApiError::payload_too_large(limits.max_body_bytes));
    }
    let body: ingest::IngestBody = serde_json::from_slice(&body).map_err(|e| {
        if e.is_data() {
            ApiError::from_code(ErrorCode::ValidationFailed, format!("invalid batch: {e}"))
        } else {
            ApiError::from_code(ErrorCode::InvalidJson, format!("invalid JSON: {e}"))
        }
    })?;
    ingest::check_envelope(&body, limits)?;
    let sent_at = ingest::sent_at(&body)?;
    let Some(project) = state
        .projects
        .resolve(&state.pool, &body.project_id)
        .await?
    else {
        return Err(ApiError::from_code(
            ErrorCode::InvalidProject,
            "projectId is not a valid project",
        ));
    };
    let clock = ingest::Clock::new(received_at, sent_at, limits.future_tolerance_seconds);
    let mut conn = db::conn(&state.pool).await?;
    let res = ingest::store(&mut conn, &state.partitions, project, body, clock, limits).await?;
    Ok(HttpResponse::Ok().json(res))
}
