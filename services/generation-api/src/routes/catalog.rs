//! Brand DNA profiles and avatars.

use super::{Caller, State, query_params};
use crate::{
    ids,
    models::{self, AvatarFilter},
    views,
};
use ::db::db_error;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::{extract::Scoped, scopes::Read};
use error_envelope::ApiError;
use serde_json::json;

/// GET /brand: the workspace's sanitized Brand DNA profiles.
#[utoipa::path(get, path = "/api/v1/brand", tag = "brand",
    responses((status = 200, body = views::List<views::Brand>)),
    security(("bearer" = ["read"])))]
pub async fn brands(auth: Scoped<Read>, state: State) -> Result<HttpResponse, ApiError> {
    let caller = Caller::new(auth.principal());
    let mut conn = ::db::conn(&state.pool).await?;
    let rows = models::list_brands(&mut conn, caller.workspace)
        .await
        .map_err(db_error("brand"))?;
    Ok(HttpResponse::Ok().json(views::List {
        object: "list",
        data: rows.iter().map(views::Brand::from).collect(),
        has_more: false,
        next_cursor: None,
    }))
}

/// GET /brand/current: the workspace's current Brand DNA profile.
#[utoipa::path(get, path = "/api/v1/brand/current", tag = "brand",
    responses((status = 200, body = views::Brand), (status = 404, description = "no current profile")),
    security(("bearer" = ["read"])))]
pub async fn current_brand(auth: Scoped<Read>, state: State) -> Result<HttpResponse, ApiError> {
    let caller = Caller::new(auth.principal());
    let mut conn = ::db::conn(&state.pool).await?;
    let row = models::current_brand(&mut conn, caller.workspace)
        .await
        .map_err(db_error("brand profile"))?;
    Ok(HttpResponse::Ok().json(views::Brand::from(&row)))
}

fn filter_value(
    params: &std::collections::HashMap<String, String>,
    name: &str,
    allowed: &[&str],
) -> Result<Option<String>, ApiError> {
    match params.get(name) {
        None => Ok(None),
        Some(v) if allowed.is_empty() || allowed.contains(&v.as_str()) => Ok(Some(v.clone())),
        Some(_) => Err(ApiError::validation(
            name,
            format!("{name} must be one of {}", allowed.join(", ")),
        )
        .with_details(json!({ "field": name, "allowed": allowed }))),
    }
}

/// GET /avatars: public avatars plus the workspace's own; filters `type`, `gender`, `style`.
#[utoipa::path(get, path = "/api/v1/avatars", tag = "avatars",
    params(("type" = Option<String>, Query, description = "stock | custom"),
           ("gender" = Option<String>, Query, description = "female | male | neutral"),
           ("style" = Option<String>, Query)),
    responses((status = 200, body = views::List<views::Avatar>)),
    security(("bearer" = ["read"])))]
pub async fn avatars(
    auth: Scoped<Read>,
    state: State,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::new(auth.principal());
    let params = query_params(req.query_string(), &["type", "gender", "style"])?;
    let filter = AvatarFilter {
        avatar_type: filter_value(&params, "type", &["stock", "custom"])?,
        gender: filter_value(&params, "gender", &["female", "male", "neutral"])?,
        style: filter_value(&params, "style", &[])?,
    };
    let mut conn = ::db::conn(&state.pool).await?;
    let rows = models::list_avatars(&mut conn, caller.workspace, &filter)
        .await
        .map_err(db_error("avatar"))?;
    Ok(HttpResponse::Ok().json(views::List {
        object: "list",
        data: rows.iter().map(views::Avatar::from).collect(),
        has_more: false,
        next_cursor: None,
    }))
}

/// GET /avatars/{avatarId}.
#[utoipa::path(get, path = "/api/v1/avatars/{avatar_id}", tag = "avatars",
    params(("avatar_id" = String, Path)),
    responses((status = 200, body = views::Avatar), (status = 404)),
    security(("bearer" = ["read"])))]
pub async fn avatar(
    auth: Scoped<Read>,
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::new(auth.principal());
    let id = ids::parse_or_404(ids::AVATAR, &path, "avatar")?;
    let mut conn = ::db::conn(&state.pool).await?;
    let row = models::find_avatar(&mut conn, caller.workspace, id)
        .await
        .map_err(db_error("avatar"))?;
    Ok(HttpResponse::Ok().json(views::Avatar::from(&row)))
}
