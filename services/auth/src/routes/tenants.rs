//! `POST/GET /v1/tenants`, `GET /v1/tenants/{id}`.

use super::body::{Fields, ListQuery};
use crate::{
    AppState, ids,
    models::tenant,
    validate,
    views::{ListView, TenantView},
};
use actix_web::{HttpResponse, web};
use auth_core::Product;
use error_envelope::ApiError;
use query::CursorPage;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

pub async fn create(
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let f = Fields::parse(&body, &["product", "name", "tier"])?;
    let product = validate::product(&f.str("product")?)?;
    let name = validate::name("name", &f.str("name")?)?;
    let tier = validate::tier(f.opt_str("tier")?)?;
    let row = tenant::Tenant {
        id: Uuid::now_v7(),
        product: product.as_str().to_owned(),
        name,
        public_id: (product == Product::Partner).then(ids::project_public_id),
        tier,
        created_at: OffsetDateTime::now_utc(),
    };
    let mut conn = db::conn(&state.pool).await?;
    let row = tenant::insert(&mut conn, &row)
        .await
        .map_err(db::db_error("tenant"))?;
    Ok(HttpResponse::Created().json(TenantView::from(row)))
}

pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(query.into_inner(), &["product"])?;
    let product = match q.params.get("product") {
        Some(p) => Some(validate::product(p).map_err(|_| {
            ApiError::bad_parameter(
                error_envelope::ErrorCode::ValidationFailed,
                "product",
                "product must be admin, partner or generation",
            )
        })?),
        None => None,
    };
    let shape = q.shape("tenants", &["product"]);
    let after = q
        .after(&state.cursor, &shape)?
        .map(|s| s.parse::<Uuid>().map_err(|_| ApiError::invalid_cursor()))
        .transpose()?;
    let mut conn = db::conn(&state.pool).await?;
    let rows = tenant::list(
        &mut conn,
        product.map(Product::as_str),
        after,
        i64::from(q.limit),
    )
    .await
    .map_err(db::db_error("tenant"))?;
    let page = CursorPage::from_rows(rows, q.limit, &state.cursor, &shape, |t| {
        serde_json::json!([t.id.to_string()])
    });
    Ok(HttpResponse::Ok().json(ListView {
        data: page.rows.into_iter().map(TenantView::from).collect(),
        pagination: page.pagination,
    }))
}

pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = validate::tenant_id_in_path(&id)?;
    let mut conn = db::conn(&state.pool).await?;
    let row = tenant::find(&mut conn, id)
        .await
        .map_err(db::db_error("tenant"))?;
    Ok(HttpResponse::Ok().json(TenantView::from(row)))
}
