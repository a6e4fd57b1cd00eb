//! `GET /api/v1/orders[/{order_id}]` (orders:read).

use crate::{
    AppState, ids,
    models::orders::{OrderRow, SPEC},
};
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::{extract::Scoped, scopes::OrdersRead};
use error_envelope::ApiError;

pub async fn list(
    auth: Scoped<OrdersRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    super::list::<OrderRow>(&state, &req, auth.principal().tenant_id, &SPEC, &[]).await
}

pub async fn get(
    auth: Scoped<OrdersRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    super::get::<OrderRow>(
        &state,
        &req,
        auth.principal().tenant_id,
        &SPEC,
        ids::ORDER,
        &id,
    )
    .await
}
