//! `GET /api/v1/journeys` and `GET /api/v1/journeys/{id}/enrollments` (journeys:read),
//! `POST /api/v1/journeys` (journeys:write).

use crate::{
    AppState,
    body::Attributes,
    ids,
    models::journeys::{self, CREATE_STATUSES, ENROLLMENTS, SPEC, STEP_TYPES, TRIGGERS},
    views::{Render, Single},
    writes::{self, Val},
};
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::{
    extract::Scoped,
    scopes::{JourneysRead, JourneysWrite},
};
use error_envelope::ApiError;
use idempotency::Reply;
use serde_json::Value;

pub const READ_ONLY: &[&str] = &["enrollments_count", "created_at", "updated_at"];
const MAX_STEPS: usize = 50;

pub async fn list(
    auth: Scoped<JourneysRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    super::list(&state, &req, &SPEC, journeys::base(tenant), "").await
}

pub async fn get(
    auth: Scoped<JourneysRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let q = journeys::by_id(auth.principal().tenant_id, &id);
    super::get::<journeys::JourneyRow>(&state, &req, "journey", ids::JOURNEY, &id, q).await
}

pub async fn enrollments(
    auth: Scoped<JourneysRead>,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    let id = id.into_inner();
    {
        let mut conn = db::conn(&state.pool).await?;
        if !id.starts_with(ids::JOURNEY) || !journeys::exists(&mut conn, tenant, &id).await? {
            return Err(ApiError::not_found("journey"));
        }
    }
    let scope = format!("journey_id={id}");
    super::list(
        &state,
        &req,
        &ENROLLMENTS,
        journeys::enrollments_of(tenant, &id),
        &scope,
    )
    .await
}

/// Steps: an array of objects, each with a `type` among [`STEP_TYPES`]; `wait` steps need `delay_hours`.
fn steps(raw: Option<Value>) -> Result<Value, ApiError> {
    let Some(raw) = raw else {
        return Ok(Value::Array(Vec::new()));
    };
    let Value::Array(items) = &raw else {
        return Err(ApiError::validation(
            "steps",
            "steps must be an array of step objects",
        ));
    };
    if items.len() > MAX_STEPS {
        return Err(ApiError::validation(
            "steps",
            format!("a journey has at most {MAX_STEPS} steps"),
        ));
    }
    for (i, step) in items.iter().enumerate() {
        let field = format!("steps[{i}].type");
        let ty = step.get("type").and_then(Value::as_str).unwrap_or("");
        if !step.is_object() || !STEP_TYPES.contains(&ty) {
            return Err(ApiError::validation(
                &field,
                format!("{field} must be one of: {}", STEP_TYPES.join(", ")),
            ));
        }
        if ty == "wait"
            && !step
                .get("delay_hours")
                .and_then(Value::as_u64)
                .is_some_and(|h| (1..=8760).contains(&h))
        {
            let field = format!("steps[{i}].delay_hours");
            return Err(ApiError::validation(
                &field,
                format!("{field} must be an integer from 1 to 8760"),
            ));
        }
    }
    Ok(raw)
}

pub async fn create(
    auth: Scoped<JourneysWrite>,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let tenant = auth.principal().tenant_id;
    let values = new_journey(&body);
    super::write(&state, &req, tenant, &body, move |conn| {
        Box::pin(async move {
            let values = values?;
            let id = ids::new(ids::JOURNEY);
            writes::insert(conn, "journeys", tenant, &id, values).await?;
            let row = journeys::find(conn, tenant, &id).await?;
            Reply::created(&Single { data: row.render() })
        })
    })
    .await
}

/// The columns of a new journey, from its body.
fn new_journey(body: &[u8]) -> Result<Vec<(&'static str, Val)>, ApiError> {
    let mut a = Attributes::parse(body, "journey", None)?;
    let name = a.string("name", 200)?;
    let trigger = a.enumeration("trigger", TRIGGERS)?;
    let status = a
        .enumeration("status", CREATE_STATUSES)?
        .unwrap_or_else(|| "draft".into());
    let steps = steps(a.raw("steps"))?;
    a.finish(READ_ONLY)?;
    let name =
        name.ok_or_else(|| ApiError::validation("name", "name required for journey creation"))?;
    let trigger = trigger
        .ok_or_else(|| ApiError::validation("trigger", "trigger required for journey creation"))?;
    let values = vec![
        ("name", Val::Text(Some(name))),
        ("trigger", Val::Text(Some(trigger))),
        ("status", Val::Text(Some(status))),
        ("steps", Val::Json(steps)),
    ];
    Ok(values)
}
