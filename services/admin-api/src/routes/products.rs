//! `GET /api/v1/products[/{id}]` (products:read), `POST /api/v1/products` and
//! `PATCH /api/v1/products/{id}` (products:write).

use crate::{
    AppState,
    body::Attributes,
    ids, listing,
    models::products::{self, SPEC, STATUSES},
    views::{Render, Single},
    writes::{self, Val},
};
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::{
    extract::Scoped,
    scopes::{ProductsRead, ProductsWrite},
};
use error_envelope::ApiError;
use idempotency::Reply;

/// Stock changes go through `PATCH /api/v1/inventory`.
pub const READ_ONLY: &[&str] = &["inventory_quantity", "created_at", "updated_at"];
/// Where a new product's initial stock is placed.
pub const DEFAULT_LOCATION: &str = "main";

pub async fn list(
    auth: Scoped<ProductsRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    let query = query::CursorQuery::parse(&SPEC, req.query_string())?;
    let mut conn = db::conn(&state.pool).await?;
    let page =
        listing::load_page(&mut conn, &state.codec, &query, products::base(tenant), "").await?;
    let rows = products::with_inventory(&mut conn, tenant, page.rows).await?;
    Ok(HttpResponse::Ok().json(crate::views::Page::<_, ()> {
        data: rows.into_iter().map(Render::render).collect(),
        pagination: page.pagination,
        included: None,
    }))
}

pub async fn get(
    auth: Scoped<ProductsRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    listing::no_query(req.query_string())?;
    if !id.starts_with(ids::PRODUCT) {
        return Err(ApiError::not_found("product"));
    }
    let mut conn = db::conn(&state.pool).await?;
    let row = products::find(&mut conn, auth.principal().tenant_id, &id).await?;
    Ok(HttpResponse::Ok().json(Single { data: row.render() }))
}

/// The attributes shared by create and update, as column assignments.
fn common(a: &mut Attributes, sets: &mut Vec<(&'static str, Val)>) -> Result<(), ApiError> {
    if let Some(v) = a.string("title", 255)? {
        sets.push(("title", Val::Text(Some(v))));
    }
    if let Some(v) = a.string("sku", 64)? {
        sets.push(("sku", Val::Text(Some(v))));
    }
    if let Some(v) = a.money("price")? {
        sets.push(("price_cents", Val::Int(Some(v))));
    }
    if let Some(v) = a.nullable_money("compare_at_price")? {
        sets.push(("compare_at_price_cents", Val::Int(v)));
    }
    if let Some(v) = a.enumeration("status", STATUSES)? {
        sets.push(("status", Val::Text(Some(v))));
    }
    if let Some(v) = a.string("currency", 3)? {
        if v.len() != 3 || !v.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ApiError::validation(
                "currency",
                "currency must be an ISO 4217 code such as USD",
            ));
        }
        sets.push(("currency", Val::Text(Some(v))));
    }
    for (name, max) in [
        ("description", 5000),
        ("vendor", 100),
        ("product_type", 100),
    ] {
        if let Some(v) = a.nullable_string(name, max)? {
            sets.push((name, Val::Text(v)));
        }
    }
    if let Some(v) = a.tags("tags")? {
        sets.push(("tags", Val::Tags(v)));
    }
    Ok(())
}

fn has(sets: &[(&'static str, Val)], col: &str) -> bool {
    sets.iter().any(|(c, _)| *c == col)
}

/// Column values of a write.
type Columns = Vec<(&'static str, Val)>;

/// The columns of a new product and its initial inventory, from its body.
fn new_product(body: &[u8]) -> Result<(Columns, i64), ApiError> {
    let mut a = Attributes::parse(body, "product", None)?;
    let mut values = Vec::new();
    common(&mut a, &mut values)?;
    let initial = a
        .integer("inventory_quantity", 0, 1_000_000_000)?
        .unwrap_or(0);
    a.finish(READ_ONLY)?;
    for (col, field) in [("title", "title"), ("sku", "sku"), ("price_cents", "price")] {
        if !has(&values, col) {
            return Err(ApiError::validation(
                field,
                format!("{field} required for product creation"),
            ));
        }
    }
    if !has(&values, "status") {
        values.push(("status", Val::Text(Some("draft".into()))));
    }
    Ok((values, initial))
}

/// The columns a PATCH changes, from its body.
fn product_changes(body: &[u8], id: &str) -> Result<Columns, ApiError> {
    let mut a = Attributes::parse(body, "product", Some(id))?;
    let mut sets = Vec::new();
    common(&mut a, &mut sets)?;
    a.finish(READ_ONLY)?;
    Ok(sets)
}

pub async fn create(
    auth: Scoped<ProductsWrite>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    let parsed = new_product(&body);
    super::write(&state, &req, tenant, &body, move |conn| {
        Box::pin(async move {
            let (values, initial) = parsed?;
            let id = ids::new(ids::PRODUCT);
            writes::insert(conn, "products", tenant, &id, values)
                .await
                .map_err(super::write_error("product", "sku"))?;
            let level = vec![
                ("product_id", Val::Text(Some(id.clone()))),
                ("location", Val::Text(Some(DEFAULT_LOCATION.into()))),
                ("available", Val::Int(Some(initial))),
            ];
            writes::insert(
                conn,
                "inventory_levels",
                tenant,
                &ids::new(ids::INVENTORY),
                level,
            )
            .await?;
            let row = products::find(conn, tenant, &id).await?;
            Reply::created(&Single { data: row.render() })
        })
    })
    .await
}

pub async fn update(
    auth: Scoped<ProductsWrite>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    let id = id.into_inner();
    let sets = product_changes(&body, &id);
    super::write(&state, &req, tenant, &body, move |conn| {
        Box::pin(async move {
            let sets = sets?;
            if !id.starts_with(ids::PRODUCT) {
                return Err(ApiError::not_found("product"));
            }
            if !sets.is_empty() {
                let n = writes::update(conn, "products", tenant, &id, sets)
                    .await
                    .map_err(super::write_error("product", "sku"))?;
                if n == 0 {
                    return Err(ApiError::not_found("product"));
                }
            }
            let row = products::find(conn, tenant, &id).await?;
            Reply::ok(&Single { data: row.render() })
        })
    })
    .await
}
