//! `POST/GET /v1/keys`, `GET /v1/keys/{id}`, `POST /v1/keys/{id}/revoke`,
//! `POST /v1/keys/{id}/roll`. The plaintext key appears only in the mint and
//! roll responses.

use super::body::{Fields, ListQuery};
use crate::{
    AppState,
    events::RevocationEvent,
    ids,
    models::{
        api_key::{self, ApiKey, RollError},
        tenant, user,
    },
    validate,
    views::{KeyView, ListView, MintedKeyView, RolledKeyView},
};
use actix_web::{HttpResponse, web};
use auth_core::{Product, key};
use error_envelope::{ApiError, ErrorCode};
use query::CursorPage;
use std::collections::HashMap;
use time::OffsetDateTime;

const MINT_FIELDS: &[&str] = &[
    "tenant_id",
    "user_id",
    "name",
    "scopes",
    "tier",
    "env",
    "expires_in_days",
    "expires_at",
];

pub async fn mint(state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let f = Fields::parse(&body, MINT_FIELDS)?;
    let tenant_id = validate::uuid_field("tenant_id", &f.str("tenant_id")?)?;
    let user_id = f.opt_str("user_id")?;
    let name = validate::name("name", &f.str("name")?)?;
    let tier = validate::tier(f.opt_str("tier")?)?;
    let env = validate::env(f.opt_str("env")?)?;
    let expires_at = validate::expiry(f.opt_u64("expires_in_days")?, f.opt_str("expires_at")?)?;
    let raw_scopes = f.opt_str_list("scopes")?;

    let mut conn = db::conn(&state.pool).await?;
    let tenant = match tenant::find(&mut conn, tenant_id).await {
        Ok(t) => t,
        Err(diesel::result::Error::NotFound) => {
            return Err(ApiError::validation("tenant_id", "no tenant has this id"));
        }
        Err(e) => return Err(ApiError::internal(e)),
    };
    let product: Product = tenant.product.parse().map_err(ApiError::internal)?;
    let scopes = validate::scopes(product, raw_scopes)?;
    match (product, user_id.as_deref()) {
        (Product::Generation, None) => {
            return Err(ApiError::validation(
                "user_id",
                "generation keys belong to a user: user_id is required",
            ));
        }
        (Product::Generation, Some(uid)) => {
            let belongs = ids::is_id(uid, "usr_")
                && match user::find(&mut conn, uid).await {
                    Ok(u) => u.tenant_id == tenant_id,
                    Err(diesel::result::Error::NotFound) => false,
                    Err(e) => return Err(ApiError::internal(e)),
                };
            if !belongs {
                return Err(ApiError::validation(
                    "user_id",
                    "no user with this id in the tenant's workspace",
                ));
            }
        }
        (_, Some(_)) => {
            return Err(ApiError::validation(
                "user_id",
                format!("{product} keys have no user; omit user_id"),
            ));
        }
        (_, None) => {}
    }
    let plaintext = key::generate(product, env);
    let row = ApiKey {
        id: ids::key_id(),
        tenant_id,
        user_id,
        product: product.as_str().to_owned(),
        name,
        key_hash: key::hash(&plaintext),
        hint: key::hint(&plaintext),
        scopes,
        tier,
        env: env.as_str().to_owned(),
        created_at: OffsetDateTime::now_utc(),
        expires_at,
        revoked_at: None,
        last_used_at: None,
        replaced_by: None,
    };
    let row = api_key::insert(&mut conn, &row)
        .await
        .map_err(db::db_error("api key"))?;
    tracing::info!(key_id = %row.id, tenant_id = %row.tenant_id, "api key minted");
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(MintedKeyView {
            key: plaintext,
            view: KeyView::from(row),
        }))
}

pub async fn list(
    state: web::Data<AppState>,
    query: web::Query<HashMap<String, String>>,
) -> Result<HttpResponse, ApiError> {
    let q = ListQuery::parse(query.into_inner(), &["tenant_id"])?;
    let tenant_id = match q.params.get("tenant_id") {
        Some(raw) => Some(raw.parse::<uuid::Uuid>().map_err(|_| {
            ApiError::bad_parameter(
                ErrorCode::ValidationFailed,
                "tenant_id",
                "tenant_id must be a UUID",
            )
        })?),
        None => None,
    };
    let shape = q.shape("keys", &["tenant_id"]);
    let after = q.after(&state.cursor, &shape)?;
    let mut conn = db::conn(&state.pool).await?;
    let rows = api_key::list(&mut conn, tenant_id, after.as_deref(), i64::from(q.limit))
        .await
        .map_err(db::db_error("api key"))?;
    let page = CursorPage::from_rows(rows, q.limit, &state.cursor, &shape, |k| {
        serde_json::json!([k.id])
    });
    Ok(HttpResponse::Ok().json(ListView {
        data: page.rows.into_iter().map(KeyView::from).collect(),
        pagination: page.pagination,
    }))
}

pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = validate::key_id_in_path(&id)?;
    let mut conn = db::conn(&state.pool).await?;
    let row = api_key::find(&mut conn, &id)
        .await
        .map_err(db::db_error("api key"))?;
    Ok(HttpResponse::Ok().json(KeyView::from(row)))
}

/// Idempotent: revoking a revoked key returns it unchanged.
pub async fn revoke(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = validate::key_id_in_path(&id)?;
    Fields::parse(&body, &[])?;
    let mut conn = db::conn(&state.pool).await?;
    let row = api_key::revoke(&mut conn, &id)
        .await
        .map_err(db::db_error("api key"))?;
    drop(conn);
    state.cache.evict(&row.key_hash);
    let effective_at = row
        .revoked_at
        .map(OffsetDateTime::unix_timestamp)
        .unwrap_or_default();
    state
        .publisher
        .publish(&RevocationEvent {
            key_id: row.id.clone(),
            key_hash: row.key_hash.clone(),
            reason: "revoked".into(),
            effective_at,
        })
        .await;
    tracing::info!(key_id = %row.id, "api key revoked");
    Ok(HttpResponse::Ok().json(KeyView::from(row)))
}

/// Mints a replacement with the same tenant, user, name, scopes, tier, env and
/// expiry; the old key keeps working for `grace_seconds` (default 0).
pub async fn roll(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = validate::key_id_in_path(&id)?;
    let f = Fields::parse(&body, &["grace_seconds"])?;
    let grace = f.opt_u64("grace_seconds")?.unwrap_or(0);
    if grace > validate::MAX_GRACE_SECONDS {
        return Err(ApiError::validation(
            "grace_seconds",
            format!(
                "grace_seconds must be from 0 to {}",
                validate::MAX_GRACE_SECONDS
            ),
        ));
    }
    let mut conn = db::conn(&state.pool).await?;
    let result = api_key::roll(&mut conn, &id, time::Duration::seconds(grace as i64)).await;
    drop(conn);
    let (old, new, plaintext) = match result {
        Ok(pair) => pair,
        Err(RollError::Db(diesel::result::Error::NotFound)) => {
            return Err(ApiError::not_found("api key"));
        }
        Err(RollError::Db(e)) => return Err(ApiError::internal(e)),
        Err(e @ (RollError::Revoked | RollError::Expired)) => {
            return Err(ApiError::invalid_state(e.to_string()));
        }
    };
    state.cache.evict(&old.key_hash);
    state
        .publisher
        .publish(&RevocationEvent {
            key_id: old.id.clone(),
            key_hash: old.key_hash.clone(),
            reason: "rolled".into(),
            effective_at: old
                .revoked_at
                .map(OffsetDateTime::unix_timestamp)
                .unwrap_or_default(),
        })
        .await;
    tracing::info!(old_key_id = %old.id, new_key_id = %new.id, grace, "api key rolled");
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(RolledKeyView {
            key: plaintext,
            view: KeyView::from(new),
            rolled_from: KeyView::from(old),
        }))
}
