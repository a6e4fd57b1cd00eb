//! The operator token guard of `/v1` (constant-time comparison). Missing or
//! wrong token → 401 `invalid_token`, before any body is read.

use crate::AppState;
use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header,
    middleware::Next,
    web,
};
use error_envelope::ApiError;
use subtle::ConstantTimeEq;

pub async fn require_operator(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("AppState is not registered"))?;
    let expected = state.config.operator_token.expose().as_bytes();
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match presented {
        None => {
            Err(ApiError::invalid_token("missing operator token (Authorization: Bearer …)").into())
        }
        Some(t) if expected.is_empty() || !bool::from(t.as_bytes().ct_eq(expected)) => {
            Err(ApiError::invalid_token("the operator token is invalid").into())
        }
        Some(_) => next.call(req).await,
    }
}
