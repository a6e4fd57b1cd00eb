//! GET /api/v1/files/{key}?expires=&signature=: the local store's outputs,
//! behind a short-lived HMAC signature (no bearer: the URL is the capability).

use super::{State, query_params};
use crate::storage;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use error_envelope::ApiError;

pub async fn download(
    state: State,
    req: HttpRequest,
    key: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let params = query_params(req.query_string(), &["expires", "signature"])?;
    let forbidden = || {
        ApiError::from_code(
            error_envelope::codes::INVALID_SIGNATURE,
            "the URL's signature is invalid or has expired; fetch the job result again",
        )
    };
    let expires: i64 = params
        .get("expires")
        .and_then(|v| v.parse().ok())
        .ok_or_else(forbidden)?;
    let signature = params.get("signature").ok_or_else(forbidden)?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    if !state.storage.verify(&key, expires, signature, now) {
        return Err(forbidden());
    }
    let bytes = state
        .storage
        .get(&key)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::not_found("file"))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, storage::content_type(&key)))
        .insert_header((header::CACHE_CONTROL, "private, max-age=60"))
        .body(bytes))
}
