//! `GET /healthz` (liveness, no I/O), `GET /readyz` (PostgreSQL reachable;
//! Redis reported), `GET /.well-known/jwks.json` (published signing keys, from the
//! database so every replica serves the same set right after a rotation).

use crate::{AppState, models::signing_key, signing};
use actix_web::{HttpResponse, http::header, web};
use diesel_async::RunQueryDsl;
use error_envelope::{ApiError, ErrorCode};

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

/// 200 when PostgreSQL answers (Redis down is reported as `degraded`: keys
/// still authenticate, only revocation events are delayed to cache TTLs);
/// 503 when PostgreSQL does not.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let db_ok = match state.pool.get().await {
        Ok(mut conn) => diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .is_ok(),
        Err(_) => false,
    };
    let redis_ok = matches!(
        tokio::time::timeout(
            std::time::Duration::from_millis(500),
            state.publisher.ping()
        )
        .await,
        Ok(Ok(()))
    );
    let redis = if redis_ok { "ok" } else { "degraded" };
    if db_ok {
        Ok(HttpResponse::Ok().json(serde_json::json!({
            "status": if redis_ok { "ready" } else { "degraded" },
            "postgres": "ok",
            "redis": redis,
        })))
    } else {
        Err(ApiError::service_unavailable(
            ErrorCode::ServiceUnavailable,
            "not ready: PostgreSQL is unreachable",
        )
        .with_details(serde_json::json!({ "postgres": "unavailable", "redis": redis })))
    }
}

pub async fn jwks(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut conn = db::conn(&state.pool).await?;
    let published = signing_key::published(&mut conn)
        .await
        .map_err(db::db_error("jwks"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=10"))
        .json(signing::jwks(published)))
}
