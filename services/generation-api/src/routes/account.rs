//! `GET /me` and `GET /credits`.

use super::{Caller, State};
use crate::{credits, ids, views};
use ::db::db_error;
use actix_web::HttpResponse;
use auth_core::{extract::Scoped, scopes::Read};
use error_envelope::ApiError;
use serde_json::{Value, json};

/// GET /me: the user, the API key's metadata (never the key) and the workspace.
#[utoipa::path(get, path = "/api/v1/me", tag = "account",
    responses((status = 200, description = "user, api_key, workspace")),
    security(("bearer" = ["read"])))]
pub async fn me(auth: Scoped<Read>, state: State) -> Result<HttpResponse, ApiError> {
    let caller = Caller::new(auth.principal());
    let p = &caller.principal;
    let (key, workspace, user) = futures_util::try_join!(
        state.directory.key(&p.key_id),
        state.directory.workspace(caller.workspace),
        async {
            match &p.user_id {
                Some(u) => state.directory.user(caller.workspace, u).await,
                None => Ok(None),
            }
        }
    )?;
    let mut conn = ::db::conn(&state.pool).await?;
    let account = credits::account(&mut conn, caller.workspace, caller.mode)
        .await
        .map_err(db_error("workspace"))?;
    let pick = |v: &Value, fields: &[&str]| -> Value {
        Value::Object(
            fields
                .iter()
                .map(|f| ((*f).to_owned(), v.get(*f).cloned().unwrap_or(Value::Null)))
                .collect(),
        )
    };
    let mut api_key = pick(
        &key,
        &["id", "name", "hint", "scopes", "created_at", "expires_at"],
    );
    api_key["livemode"] = json!(caller.mode == credits::Mode::Live);
    Ok(HttpResponse::Ok().json(json!({
        "object": "me",
        "user": match (&p.user_id, user) {
            (Some(id), Some(u)) => json!({ "id": id, "email": u["email"] }),
            (Some(id), None) => json!({ "id": id, "email": null }),
            (None, _) => Value::Null,
        },
        "api_key": api_key,
        "workspace": {
            "id": ids::render(ids::WORKSPACE, caller.workspace),
            "name": workspace["name"].as_str().map(str::to_owned).or(account.name),
            "plan": account.plan,
        },
    })))
}

/// GET /credits: balance, reserved, available, plan and active generation capacity.
#[utoipa::path(get, path = "/api/v1/credits", tag = "account",
    responses((status = 200, body = views::Credits)),
    security(("bearer" = ["read"])))]
pub async fn credits(auth: Scoped<Read>, state: State) -> Result<HttpResponse, ApiError> {
    let caller = Caller::new(auth.principal());
    let mut conn = ::db::conn(&state.pool).await?;
    let a = credits::account(&mut conn, caller.workspace, caller.mode)
        .await
        .map_err(db_error("workspace"))?;
    Ok(HttpResponse::Ok().json(views::Credits {
        object: "credits",
        balance: a.balance,
        reserved: a.reserved,
        available: a.available(),
        plan: a.plan.clone(),
        monthly_credits: a.monthly_credits,
        active_jobs: a.active_jobs,
        max_concurrent_jobs: a.max_concurrent_jobs,
        livemode: caller.mode == credits::Mode::Live,
    }))
}
