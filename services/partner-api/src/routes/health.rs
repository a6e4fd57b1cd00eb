//! `GET /api/partner/health`: the last-event watchdog.

use crate::{AppState, models::health, views};
use actix_web::{HttpResponse, web};
use auth_core::{extract::Scoped, scopes::Read};
use error_envelope::ApiError;
use time::OffsetDateTime;

pub async fn health(
    state: web::Data<AppState>,
    auth: Scoped<Read>,
) -> Result<HttpResponse, ApiError> {
    let project = state.project_of(auth.principal()).await?;
    let mut conn = db::conn(&state.pool).await?;
    let f = health::figures(&mut conn, project).await?;
    let body = views::HealthView {
        status: views::health_status(f.last_event_at, OffsetDateTime::now_utc()),
        project_id: auth.principal().public_id.clone().unwrap_or_default(),
        last_event_at: f.last_event_at.map(views::fmt_ts_seconds),
        last_log_at: f.last_log_at.map(views::fmt_ts_seconds),
        events_last_hour: f.events_last_hour,
        logs_last_hour: f.logs_last_hour,
        sessions_last_hour: f.sessions_last_hour,
    };
    Ok(HttpResponse::Ok()
        .insert_header(("cache-control", "no-store"))
        .json(body))
}
