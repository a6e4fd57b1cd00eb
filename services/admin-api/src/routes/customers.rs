//! `GET /api/v1/customers[/{customer_id}]` (customers:read), `PATCH /api/v1/customers/{customer_id}`
//! (customers:write), and the relationship `GET /api/v1/customers/{customer_id}/orders` (orders:read).

use crate::{
    AppState,
    body::Attributes,
    ids,
    models::{
        customers::{self, CustomerRow, SPEC, STAGES},
        orders,
    },
    views::{Render, Single},
    writes::{self, Val},
};
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::{
    extract::Scoped,
    scopes::{CustomersRead, CustomersWrite, OrdersRead},
};
use error_envelope::ApiError;
use idempotency::Reply;

/// Attributes computed from orders or fixed at creation.
pub const READ_ONLY: &[&str] = &[
    "total_spent",
    "orders_count",
    "last_order_at",
    "currency",
    "created_at",
    "updated_at",
];

pub async fn list(
    auth: Scoped<CustomersRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    super::list(&state, &req, &SPEC, customers::base(tenant), "").await
}

pub async fn get(
    auth: Scoped<CustomersRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let q = customers::by_id(auth.principal().tenant_id, &id);
    super::get::<CustomerRow>(&state, &req, "customer", ids::CUSTOMER, &id, q).await
}

pub async fn orders(
    auth: Scoped<OrdersRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    let id = id.into_inner();
    {
        let mut conn = db::conn(&state.pool).await?;
        if !id.starts_with(ids::CUSTOMER) || !customers::exists(&mut conn, tenant, &id).await? {
            return Err(ApiError::not_found("customer"));
        }
    }
    let scope = format!("customer_id={id}");
    super::list(
        &state,
        &req,
        &orders::SPEC,
        orders::of_customer(tenant, &id),
        &scope,
    )
    .await
}

/// The writable attributes of a customer, as column assignments.
fn changes(body: &[u8], id: &str) -> Result<Vec<(&'static str, Val)>, ApiError> {
    let mut a = Attributes::parse(body, "customer", Some(id))?;
    let mut sets = Vec::new();
    if let Some(v) = a.email("email")? {
        sets.push(("email", Val::Text(Some(v))));
    }
    for name in ["first_name", "last_name"] {
        if let Some(v) = a.nullable_string(name, 100)? {
            sets.push((name, Val::Text(v)));
        }
    }
    if let Some(v) = a.nullable_string("phone", 32)? {
        sets.push(("phone", Val::Text(v)));
    }
    if let Some(v) = a.nullable_string("country", 2)? {
        sets.push(("country", Val::Text(v.map(|c| c.to_uppercase()))));
    }
    if let Some(v) = a.nullable_string("note", 2000)? {
        sets.push(("note", Val::Text(v)));
    }
    if let Some(v) = a.enumeration("lifecycle_stage", STAGES)? {
        sets.push(("lifecycle_stage", Val::Text(Some(v))));
    }
    if let Some(v) = a.tags("tags")? {
        sets.push(("tags", Val::Tags(v)));
    }
    if let Some(v) = a.boolean("accepts_marketing")? {
        sets.push(("accepts_marketing", Val::Bool(v)));
    }
    a.finish(READ_ONLY)?;
    Ok(sets)
}

pub async fn update(
    auth: Scoped<CustomersWrite>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    let id = id.into_inner();
    let sets = changes(&body, &id);
    super::write(&state, &req, tenant, &body, move |conn| {
        Box::pin(async move {
            let sets = sets?;
            if !id.starts_with(ids::CUSTOMER) {
                return Err(ApiError::not_found("customer"));
            }
            if !sets.is_empty() {
                let n = writes::update(conn, "customers", tenant, &id, sets)
                    .await
                    .map_err(super::write_error("customer", "email"))?;
                if n == 0 {
                    return Err(ApiError::not_found("customer"));
                }
            }
            let row = customers::find(conn, tenant, &id).await?;
            Reply::ok(&Single { data: row.render() })
        })
    })
    .await
}
