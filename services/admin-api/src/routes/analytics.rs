//! `GET /api/v1/decision-intelligence/runs[/{run_id}]`, `GET /api/v1/seo-intelligence/keywords[/{kw_id}]` (analytics:read).

use crate::{
    AppState, ids,
    models::analytics::{self, KEYWORDS, KeywordRow, RUNS, RunRow},
};
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::{extract::Scoped, scopes::AnalyticsRead};
use error_envelope::ApiError;

pub async fn list_runs(
    auth: Scoped<AnalyticsRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    super::list(&state, &req, &RUNS, analytics::runs(tenant), "").await
}

pub async fn get_run(
    auth: Scoped<AnalyticsRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let q = analytics::run_by_id(auth.principal().tenant_id, &id);
    super::get::<RunRow>(&state, &req, "run", ids::RUN, &id, q).await
}

pub async fn list_keywords(
    auth: Scoped<AnalyticsRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    super::list(&state, &req, &KEYWORDS, analytics::keywords(tenant), "").await
}

pub async fn get_keyword(
    auth: Scoped<AnalyticsRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let q = analytics::keyword_by_id(auth.principal().tenant_id, &id);
    super::get::<KeywordRow>(&state, &req, "keyword", ids::KEYWORD, &id, q).await
}
