//! `POST/GET /v1/tenants/{id}/users`: users exist only in generation workspaces.

use super::body::{Fields, ListQuery};
use crate::{
    AppState, ids,
    models::{tenant, user},
    validate,
    views::{ListView, UserView},
};
use actix_web::{HttpResponse, web};
use error_envelope::{ApiError, ErrorCode};
use query::CursorPage;
use std::collections::HashMap;
use time::OffsetDateTime;

pub async fn create(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let tenant_id = validate::tenant_id_in_path(&id)?;
    let f = Fields::parse(&body, &["email"])?;
    let email = validate::email(&f.str("email")?)?;
    let mut conn = db::conn(&state.pool).await?;
    let t = tenant::find(&mut conn, tenant_id)
        .await
        .map_err(db::db_error("tenant"))?;
    if t.product != "generation" {
        return Err(ApiError::invalid_state(format!(
            "users exist only in generation workspaces; this tenant is a {} {}",
            t.product,
            t.product
                .parse::<auth_core::Product>()
                .map(|p| p.tenant_kind())
                .unwrap_or("tenant")
        )));
    }
    let row = user::User {
        id: ids::user_id(),
        tenant_id,
        email,
        created_at: OffsetDateTime::now_utc(),
    };
    match user::insert(&mut conn, &row).await {
        Ok(u) => Ok(HttpResponse::Created().json(UserView::from(u))),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Err(ApiError::from_code(
            ErrorCode::Conflict,
            "a user with this email already exists in this workspace",
        )
        .with_details(serde_json::json!({ "field": "email" }))),
        Err(e) => Err(db::db_error("user")(e)),
    }
}

pub async fn list(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    let tenant_id = validate::tenant_id_in_path(&id)?;
    let q = ListQuery::parse(query.into_inner(), &[])?;
    let shape = format!("users|tenant={tenant_id}");
    let after = q.after(&state.cursor, &shape)?;
    let mut conn = db::conn(&state.pool).await?;
    tenant::find(&mut conn, tenant_id)
        .await
        .map_err(db::db_error("tenant"))?;
    let rows = user::list(&mut conn, tenant_id, after.as_deref(), i64::from(q.limit))
        .await
        .map_err(db::db_error("user"))?;
    let page = CursorPage::from_rows(rows, q.limit, &state.cursor, &shape, |u| {
        serde_json::json!([u.id])
    });
    Ok(HttpResponse::Ok().json(ListView {
        data: page.rows.into_iter().map(UserView::from).collect(),
        pagination: page.pagination,
    }))
}
