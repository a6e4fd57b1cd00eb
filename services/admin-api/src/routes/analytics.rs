//! `GET /api/v1/decision-intelligence/runs[/{run_id}]`, `GET /api/v1/seo-intelligence/keywords[/{kw_id}]` (analytics:read).

use crate::{
    AppState, ids,
    models::analytics::{KEYWORDS, KeywordRow, RUNS, RunRow},
};
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::{extract::Scoped, scopes::AnalyticsRead};
use error_envelope::ApiError;

pub async fn list_runs(
    auth: Scoped<AnalyticsRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    super::list::<RunRow>(&state, &req, auth.principal().tenant_id, &RUNS, &[]).await
}

pub async fn get_run(
    auth: Scoped<AnalyticsRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    super::get::<RunRow>(
        &state,
        &req,
        auth.principal().tenant_id,
        &RUNS,
        ids::RUN,
        &id,
    )
    .await
}

pub async fn list_keywords(
    auth: Scoped<AnalyticsRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    super::list::<KeywordRow>(&state, &req, auth.principal().tenant_id, &KEYWORDS, &[]).await
}

pub async fn get_keyword(
    auth: Scoped<AnalyticsRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    super::get::<KeywordRow>(
        &state,
        &req,
        auth.principal().tenant_id,
        &KEYWORDS,
        ids::KEYWORD,
        &id,
    )
    .await
}
