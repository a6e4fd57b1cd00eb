//! `GET /.well-known/jwks.json` (published signing keys, from the database so
//! every replica serves the same set right after a rotation). `/healthz` and
//! `/readyz` (PostgreSQL required, Redis optional) come from the service kit.

use crate::{AppState, models::signing_key, signing};
use actix_web::{HttpResponse, http::header, web};
use error_envelope::ApiError;

pub async fn jwks(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut conn = db::conn(&state.pool).await?;
    let published = signing_key::published(&mut conn)
        .await
        .map_err(db::db_error("jwks"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=10"))
        .json(signing::jwks(published)))
}
