//! Liveness (no I/O) and readiness (the database answers).

use super::State;
use actix_web::HttpResponse;
use diesel_async::RunQueryDsl;
use error_envelope::ApiError;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

pub async fn readyz(state: State) -> Result<HttpResponse, ApiError> {
    let mut conn = db::conn(&state.pool).await?;
    diesel::sql_query("SELECT 1")
        .execute(&mut conn)
        .await
        .map_err(|e| {
            ApiError::service_unavailable(
                error_envelope::codes::SERVICE_UNAVAILABLE,
                "database unavailable",
            )
            .with_log_detail(e.to_string())
        })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "ready" })))
}
