//! Liveness (no I/O) and readiness (the database answers).

use crate::AppState;
use actix_web::{HttpResponse, web};
use diesel_async::RunQueryDsl;
use error_envelope::ApiError;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut conn = db::conn(&state.pool).await?;
    diesel::sql_query("SELECT 1")
        .execute(&mut conn)
        .await
        .map_err(|e| {
            ApiError::service_unavailable(
                error_envelope::ErrorCode::ServiceUnavailable,
                "database unavailable",
            )
            .with_log_detail(e.to_string())
        })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}
