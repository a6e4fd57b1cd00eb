//! `GET /healthz` (liveness, no I/O), `GET /readyz` (PostgreSQL and Redis
//! reachable), `GET /.well-known/jwks.json` (published signing keys, from the
//! database so every replica serves the same set right after a rotation).

use crate::{AppState, models::signing_key, signing};
use actix_web::{HttpResponse, http::header, web};
use diesel_async::RunQueryDsl;
use error_envelope::{ApiError, codes};

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let db_ok = match state.pool.get().await {
        Ok(mut conn) => diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .is_ok(),
        Err(_) => false,
    };
    let redis_ok = state.publisher.ping().await.is_ok();
    if db_ok && redis_ok {
        Ok(HttpResponse::Ok()
            .json(serde_json::json!({ "status": "ready", "postgres": "ok", "redis": "ok" })))
    } else {
        Err(
            ApiError::service_unavailable(codes::SERVICE_UNAVAILABLE, "not ready").with_details(
                serde_json::json!({
                    "postgres": if db_ok { "ok" } else { "unavailable" },
                    "redis": if redis_ok { "ok" } else { "unavailable" },
                }),
            ),
        )
    }
}

pub async fn jwks(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut conn = db::conn(&state.pool).await?;
    let published = signing_key::published(&mut conn)
        .await
        .map_err(db::db_error("jwks"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .json(signing::jwks(published)))
}
