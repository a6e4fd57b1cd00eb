//! `GET /api/v1/campaigns` (campaigns:read), `POST /api/v1/campaigns` and
//! `POST /api/v1/campaigns/{id}/launch` (campaigns:write).

use crate::{
    AppState,
    body::Attributes,
    ids,
    models::campaigns::{self, CHANNELS, LAUNCHABLE, SPEC},
    views::{Render, Single},
    writes::{self, Val},
};
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::{
    extract::Scoped,
    scopes::{CampaignsRead, CampaignsWrite},
};
use error_envelope::ApiError;
use idempotency::Reply;
use serde_json::json;

pub const READ_ONLY: &[&str] = &[
    "status",
    "launched_at",
    "recipients_count",
    "created_at",
    "updated_at",
];

pub async fn list(
    auth: Scoped<CampaignsRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    super::list(&state, &req, &SPEC, campaigns::base(tenant), "").await
}

pub async fn get(
    auth: Scoped<CampaignsRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let q = campaigns::by_id(auth.principal().tenant_id, &id);
    super::get::<campaigns::CampaignRow>(&state, &req, "campaign", ids::CAMPAIGN, &id, q).await
}

struct NewCampaign {
    audience_id: String,
    values: Vec<(&'static str, Val)>,
}

fn new_campaign(body: &[u8]) -> Result<NewCampaign, ApiError> {
    let mut a = Attributes::parse(body, "campaign", None)?;
    let name = a.string("name", 200)?;
    let audience_id = a.string("audience_id", 64)?;
    let channel = a
        .enumeration("channel", CHANNELS)?
        .unwrap_or_else(|| "email".into());
    let subject = a.nullable_string("subject", 200)?.flatten();
    let scheduled_at = a.nullable_timestamp("scheduled_at")?.flatten();
    a.finish(READ_ONLY)?;
    let audience_id = audience_id.ok_or_else(|| {
        ApiError::validation("audience_id", "audience_id required for campaign creation")
    })?;
    let name =
        name.ok_or_else(|| ApiError::validation("name", "name required for campaign creation"))?;
    if let Some(at) = scheduled_at
        && at <= time::OffsetDateTime::now_utc()
    {
        return Err(ApiError::validation(
            "scheduled_at",
            "scheduled_at must be in the future",
        ));
    }
    let status = if scheduled_at.is_some() {
        "scheduled"
    } else {
        "draft"
    };
    Ok(NewCampaign {
        values: vec![
            ("name", Val::Text(Some(name))),
            ("channel", Val::Text(Some(channel))),
            ("status", Val::Text(Some(status.into()))),
            ("audience_id", Val::Text(Some(audience_id.clone()))),
            ("subject", Val::Text(subject)),
            ("scheduled_at", Val::Time(scheduled_at)),
        ],
        audience_id,
    })
}

pub async fn create(
    auth: Scoped<CampaignsWrite>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    let new = new_campaign(&body);
    super::write(&state, &req, tenant, &body, move |conn| {
        Box::pin(async move {
            let new = new?;
            if campaigns::audience_size(conn, tenant, &new.audience_id)
                .await?
                .is_none()
            {
                return Err(ApiError::validation(
                    "audience_id",
                    format!("audience {} not found", new.audience_id),
                ));
            }
            let id = ids::new(ids::CAMPAIGN);
            writes::insert(conn, "campaigns", tenant, &id, new.values).await?;
            let row = campaigns::find(conn, tenant, &id).await?;
            Reply::created(&Single { data: row.render() })
        })
    })
    .await
}

pub async fn launch(
    auth: Scoped<CampaignsWrite>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    let id = id.into_inner();
    let parsed = Attributes::parse(&body, "campaign", Some(&id)).and_then(|a| a.finish(&[]));
    super::write(&state, &req, tenant, &body, move |conn| {
        Box::pin(async move {
            parsed?;
            if !id.starts_with(ids::CAMPAIGN) {
                return Err(ApiError::not_found("campaign"));
            }
            let status = campaigns::lock_status(conn, tenant, &id)
                .await?
                .ok_or_else(|| ApiError::not_found("campaign"))?;
            if !LAUNCHABLE.contains(&status.as_str()) {
                return Err(ApiError::invalid_state(format!(
                    "campaign {id} is {status}; only draft or scheduled campaigns can be launched"
                ))
                .with_details(json!({ "status": status, "launchable_from": LAUNCHABLE })));
            }
            campaigns::mark_launched(conn, tenant, &id).await?;
            let row = campaigns::find(conn, tenant, &id).await?;
            Reply::ok(&Single { data: row.render() })
        })
    })
    .await
}
