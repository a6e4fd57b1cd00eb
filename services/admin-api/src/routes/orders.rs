//! `GET /api/v1/orders[/{order_id}]` (orders:read).

use crate::{
    AppState, ids,
    models::orders::{self, OrderRow, SPEC},
};
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::{extract::Scoped, scopes::OrdersRead};
use error_envelope::ApiError;

pub async fn list(
    auth: Scoped<OrdersRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    super::list(&state, &req, &SPEC, orders::base(tenant), "").await
}

pub async fn get(
    auth: Scoped<OrdersRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    let q = orders::by_id(tenant, &id);
    super::get::<OrderRow>(&state, &req, "order", ids::ORDER, &id, q).await
}
