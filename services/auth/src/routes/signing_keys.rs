//! `GET /v1/signing-keys`, `POST /v1/signing-keys/rotate`.

use crate::{AppState, models::signing_key, views::SigningKeyView};
use actix_web::{HttpResponse, web};
use error_envelope::ApiError;

pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut conn = db::conn(&state.pool).await?;
    let rows = signing_key::list(&mut conn)
        .await
        .map_err(db::db_error("signing key"))?;
    let data: Vec<SigningKeyView> = rows
        .into_iter()
        .map(|(kid, c, r, p)| SigningKeyView::new(kid, c, r, p))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "data": data })))
}

/// A new key signs from now on; the previous one stays in the JWKS for
/// `signing_key_rollover_seconds`.
pub async fn rotate(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    super::Fields::parse(&body, &[])?;
    let previous = state.signer.active().kid().to_owned();
    let mut conn = db::conn(&state.pool).await?;
    let (kid, publish_until) = state
        .signer
        .rotate(&mut conn)
        .await
        .map_err(ApiError::internal)?;
    tracing::info!(%kid, %previous, "signing key rotated");
    Ok(HttpResponse::Created().json(serde_json::json!({
        "kid": kid,
        "status": "active",
        "previous": {
            "kid": previous,
            "status": "published",
            "publish_until": publish_until
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        }
    })))
}
