//! Jobs: list, read, result, cancel.

use super::{Caller, State, query_params};
use crate::{
    credits, errors, ids,
    models::{self, JobFilter},
    requests::JobType,
    views, webhooks,
};
use ::db::db_error;
use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use auth_core::{
    extract::Scoped,
    scopes::{Generate, Read},
};
use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::RunQueryDsl;
use error_envelope::ApiError;
use idempotency::{KeyedRequest, Reply};
use serde_json::json;
use time::{OffsetDateTime, format_description::well_known::Rfc3339};

fn timestamp(
    params: &std::collections::HashMap<String, String>,
    name: &str,
) -> Result<Option<OffsetDateTime>, ApiError> {
    params
        .get(name)
        .map(|v| {
            OffsetDateTime::parse(v, &Rfc3339)
                .or_else(|_| {
                    time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]"))
                        .map(|d| d.midnight().assume_utc())
                })
                .map_err(|_| {
                    ApiError::validation(
                        name,
                        format!("{name} must be an RFC 3339 timestamp or a YYYY-MM-DD date"),
                    )
                })
        })
        .transpose()
}

/// GET /jobs: newest first; filters `status`, `type`, `created_after`, `created_before`; cursor pagination.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "jobs",
    params(("status" = Option<String>, Query, description = "queued | processing | succeeded | failed | canceled"),
           ("type" = Option<String>, Query, description = "image | video | ad_video | face_swap | reference_analysis"),
           ("created_after" = Option<String>, Query), ("created_before" = Option<String>, Query),
           ("limit" = Option<u32>, Query, description = "1–100, default 25"), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = views::List<views::Job>)),
    security(("bearer" = ["read"])))]
pub async fn list(
    auth: Scoped<Read>,
    state: State,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::new(auth.principal());
    let params = query_params(
        req.query_string(),
        &[
            "status",
            "type",
            "created_after",
            "created_before",
            "limit",
            "cursor",
        ],
    )?;
    let mut filter = JobFilter {
        status: params.get("status").cloned(),
        job_type: params.get("type").cloned(),
        created_after: timestamp(&params, "created_after")?,
        created_before: timestamp(&params, "created_before")?,
        before_id: None,
    };
    if let Some(s) = &filter.status
        && jobs::Status::parse(s).is_none()
    {
        return Err(ApiError::validation(
            "status",
            "status must be one of queued, processing, succeeded, failed, canceled",
        ));
    }
    if let Some(t) = &filter.job_type
        && JobType::parse(t).is_none()
    {
        return Err(ApiError::validation(
            "type",
            "type must be one of image, video, ad_video, face_swap, reference_analysis",
        ));
    }
    let limit = query::parse_limit(params.get("limit").map(String::as_str))?;
    let shape = format!(
        "jobs|{}|{}|{:?}|{:?}",
        filter.status.as_deref().unwrap_or(""),
        filter.job_type.as_deref().unwrap_or(""),
        params.get("created_after"),
        params.get("created_before"),
    );
    if let Some(cursor) = params.get("cursor") {
        let keys = state.codec.decode(&shape, cursor)?;
        filter.before_id = Some(
            keys["id"]
                .as_str()
                .and_then(|s| uuid::Uuid::try_parse(s).ok())
                .ok_or_else(ApiError::invalid_cursor)?,
        );
    }
    let mut conn = ::db::conn(&state.pool).await?;
    let rows = models::list_jobs(
        &mut conn,
        caller.workspace,
        caller.mode,
        &filter,
        i64::from(limit) + 1,
    )
    .await
    .map_err(db_error("job"))?;
    let page = query::CursorPage::from_rows(
        rows,
        limit,
        &state.codec,
        &shape,
        |r| json!({ "id": r.id.to_string() }),
    );
    Ok(HttpResponse::Ok().json(views::List {
        object: "list",
        data: page.rows.iter().map(views::Job::from).collect(),
        has_more: page.pagination.has_next,
        next_cursor: page.pagination.next_cursor,
    }))
}

async fn load(state: &State, caller: &Caller, raw_id: &str) -> Result<models::JobRow, ApiError> {
    let id = ids::parse_or_404(ids::JOB, raw_id, "job")?;
    let mut conn = ::db::conn(&state.pool).await?;
    models::find_job(&mut conn, caller.workspace, caller.mode, id)
        .await
        .map_err(db_error("job"))
}

/// GET /jobs/{jobId}.
#[utoipa::path(get, path = "/api/v1/jobs/{job_id}", tag = "jobs",
    params(("job_id" = String, Path)),
    responses((status = 200, body = views::Job), (status = 404)),
    security(("bearer" = ["read"])))]
pub async fn get(
    auth: Scoped<Read>,
    state: State,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::new(auth.principal());
    let row = load(&state, &caller, &path).await?;
    Ok(HttpResponse::Ok().json(views::Job::from(&row)))
}

/// GET /jobs/{jobId}/result: 202 with `Retry-After` while queued or processing,
/// 200 with signed output URLs when succeeded, 409 `job_not_succeeded` otherwise.
#[utoipa::path(get, path = "/api/v1/jobs/{job_id}/result", tag = "jobs",
    params(("job_id" = String, Path)),
    responses((status = 200, body = views::JobResult), (status = 202, body = views::JobResult),
              (status = 409, description = "job_not_succeeded"), (status = 404)),
    security(("bearer" = ["read"])))]
pub async fn result(
    auth: Scoped<Read>,
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::new(auth.principal());
    let base = if state.public_base_url.is_empty() {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    } else {
        state.public_base_url.clone()
    };
    let row = load(&state, &caller, &path).await?;
    let pending = |status: &str| views::JobResult {
        object: "job_result",
        job_id: ids::render(ids::JOB, row.id),
        job_type: row.r#type.clone(),
        status: status.to_owned(),
        outputs: Vec::new(),
        result_expires_at: None,
    };
    match row.status.as_str() {
        "queued" | "processing" => Ok(HttpResponse::build(StatusCode::ACCEPTED)
            .insert_header((header::RETRY_AFTER, "2"))
            .json(pending(&row.status))),
        "succeeded" => {
            let now = OffsetDateTime::now_utc();
            if row.result_expires_at.is_some_and(|t| t < now) {
                return Err(ApiError::from_code(
                    error_envelope::codes::RESULT_EXPIRED,
                    "the job's outputs have expired",
                ));
            }
            let outputs = row
                .outputs
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .filter_map(|(index, o)| {
                    let key = o["key"].as_str()?;
                    let (url, expires) = state.storage.signed_url(&base, key, now.unix_timestamp());
                    Some(views::Output {
                        index,
                        url,
                        content_type: crate::storage::content_type(key).to_owned(),
                        bytes: o["bytes"].as_u64(),
                        width: o["width"].as_u64().and_then(|v| u32::try_from(v).ok()),
                        height: o["height"].as_u64().and_then(|v| u32::try_from(v).ok()),
                        url_expires_at: OffsetDateTime::from_unix_timestamp(expires).unwrap_or(now),
                    })
                })
                .collect();
            Ok(HttpResponse::Ok()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(views::JobResult {
                    outputs,
                    result_expires_at: row.result_expires_at,
                    ..pending("succeeded")
                }))
        }
        other => Err(errors::job_not_succeeded(other)),
    }
}

/// POST /jobs/{jobId}/cancel: a queued job is canceled at once and its credits
/// released; a processing job is flagged and its worker asks the provider to stop.
#[utoipa::path(post, path = "/api/v1/jobs/{job_id}/cancel", tag = "jobs",
    params(("job_id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body(content = crate::openapi::EmptyBody, description = "empty, or {}"),
    responses((status = 200, body = views::Job, description = "canceled"), (status = 202, body = views::Job, description = "cancel requested from the provider"),
              (status = 409, description = "invalid_state: already final"), (status = 404)),
    security(("bearer" = ["generate"])))]
pub async fn cancel(
    auth: Scoped<Generate>,
    state: State,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::new(auth.principal());
    let id = ids::parse_or_404(ids::JOB, &path, "job")?;
    let keyed = KeyedRequest::from_http(&req, caller.workspace, &body)?;
    let mut conn = ::db::conn(&state.pool).await?;
    let state = state.into_inner();
    idempotency::execute(&mut conn, keyed, move |conn| {
        Box::pin(async move {
            let job = models::find_job(conn, caller.workspace, caller.mode, id)
                .await
                .map_err(db_error("job"))?;
            diesel::sql_query("SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE")
                .bind::<SqlUuid, _>(id)
                .execute(conn)
                .await
                .map_err(ApiError::internal)?;
            match state
                .jobs
                .cancel(conn, id)
                .await
                .map_err(ApiError::internal)?
            {
                jobs::Cancel::Canceled => {
                    credits::release(conn, job.workspace_id, job.mode(), id, job.credits_reserved)
                        .await
                        .map_err(ApiError::internal)?;
                    diesel::sql_query("UPDATE jobs SET credits_charged = 0 WHERE id = $1")
                        .bind::<SqlUuid, _>(id)
                        .execute(conn)
                        .await
                        .map_err(ApiError::internal)?;
                    let job = models::job_by_id(conn, id)
                        .await
                        .map_err(ApiError::internal)?;
                    webhooks::enqueue(conn, &job, &state.deliveries)
                        .await
                        .map_err(ApiError::internal)?;
                    Reply::ok(&views::Job::from(&job))
                }
                jobs::Cancel::Requested => {
                    let job = models::job_by_id(conn, id)
                        .await
                        .map_err(ApiError::internal)?;
                    Reply::json(StatusCode::ACCEPTED, &views::Job::from(&job))
                }
                jobs::Cancel::NotCancelable => Err(ApiError::invalid_state(format!(
                    "the job is already {}",
                    job.status
                ))
                .with_details(json!({ "status": job.status }))),
            }
        })
    })
    .await
}
