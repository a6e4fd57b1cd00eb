//! The create endpoints. Each validates its body into [`JobSpec`]s, prices
//! them, and in one transaction (with the `Idempotency-Key` record) locks the
//! workspace, checks the plan's capacity (429 `capacity_exceeded`) and the
//! credits (402 `insufficient_credits` with the shortfall), reserves, inserts
//! the jobs (which are their queue entries) and notifies the workers.
//! `"dry_run": true` answers the price and the validated request, nothing else.

use super::{Caller, State};
use crate::{
    body::Body,
    credits::{self, Mode},
    errors, ids,
    models::{self, NewJob},
    requests::{self, JobSpec, JobType, References},
    views, webhooks,
};
use actix_web::{HttpRequest, HttpResponse, http::StatusCode, web};
use auth_core::{extract::Scoped, scopes::Generate};
use error_envelope::ApiError;
use idempotency::{KeyedRequest, Reply};
use serde_json::json;
use uuid::Uuid;

type Parser = fn(&mut Body) -> Result<(Vec<JobSpec>, References), ApiError>;

/// Image generation: prompt, aspect_ratio, image_count 1–4, brand_id, style, seed, negative_prompt.
#[utoipa::path(post, path = "/api/v1/images/generations", tag = "generation",
    request_body = crate::openapi::ImageRequest,
    responses((status = 202, body = views::Job), (status = 200, body = views::DryRun, description = "dry run"),
              (status = 400), (status = 402), (status = 409), (status = 429)),
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = ["generate"])))]
pub async fn images(
    auth: Scoped<Generate>,
    state: State,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    create(auth, state, req, body, JobType::Image, requests::image).await
}

#[utoipa::path(post, path = "/api/v1/videos/generations", tag = "generation",
    request_body = crate::openapi::VideoRequest,
    responses((status = 202, body = views::Job), (status = 200, body = views::DryRun, description = "dry run"),
              (status = 400), (status = 402), (status = 409), (status = 429)),
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = ["generate"])))]
pub async fn videos(
    auth: Scoped<Generate>,
    state: State,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    create(auth, state, req, body, JobType::Video, requests::video).await
}

#[utoipa::path(post, path = "/api/v1/ads/videos", tag = "generation",
    request_body = crate::openapi::AdVideoRequest,
    responses((status = 202, body = views::Job), (status = 200, body = views::DryRun, description = "dry run"),
              (status = 400), (status = 402), (status = 409), (status = 429)),
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = ["generate"])))]
pub async fn ad_videos(
    auth: Scoped<Generate>,
    state: State,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    create(auth, state, req, body, JobType::AdVideo, requests::ad_video).await
}

/// Face swap: one job per target, returned together as a list.
#[utoipa::path(post, path = "/api/v1/face-swap", tag = "generation",
    request_body = crate::openapi::FaceSwapRequest,
    responses((status = 202, body = views::List<views::Job>), (status = 200, body = views::DryRun, description = "dry run"),
              (status = 400), (status = 402), (status = 409), (status = 429)),
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = ["generate"])))]
pub async fn face_swap(
    auth: Scoped<Generate>,
    state: State,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    create(
        auth,
        state,
        req,
        body,
        JobType::FaceSwap,
        requests::face_swap,
    )
    .await
}

#[utoipa::path(post, path = "/api/v1/reference-analysis", tag = "generation",
    request_body = crate::openapi::ReferenceAnalysisRequest,
    responses((status = 202, body = views::Job), (status = 200, body = views::DryRun, description = "dry run"),
              (status = 400), (status = 402), (status = 409), (status = 429)),
    params(("Idempotency-Key" = Option<String>, Header)),
    security(("bearer" = ["generate"])))]
pub async fn reference_analysis(
    auth: Scoped<Generate>,
    state: State,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    create(
        auth,
        state,
        req,
        body,
        JobType::ReferenceAnalysis,
        requests::reference_analysis,
    )
    .await
}

async fn create(
    auth: Scoped<Generate>,
    state: State,
    req: HttpRequest,
    bytes: web::Bytes,
    job_type: JobType,
    parse: Parser,
) -> Result<HttpResponse, ApiError> {
    let caller = Caller::new(auth.principal());
    let mut body = Body::parse(&bytes)?;
    let common = requests::common(&mut body)?;
    let (specs, refs) = parse(&mut body)?;
    body.finish()?;
    if let Some(url) = &common.webhook_url {
        webhooks::validate_url(url, state.development)?;
    }
    let price: i64 = specs.iter().map(|s| s.price).sum();
    let mut conn = ::db::conn(&state.pool).await?;
    check_references(&mut conn, caller.workspace, &refs).await?;
    if common.dry_run {
        let account = credits::account(&mut conn, caller.workspace, caller.mode)
            .await
            .map_err(ApiError::internal)?;
        return Ok(HttpResponse::Ok().json(views::DryRun {
            object: "dry_run",
            dry_run: true,
            job_type: job_type.as_str().to_owned(),
            job_count: specs.len(),
            credits: views::DryRunCredits {
                estimated: price,
                available: account.available(),
                would_charge: caller.mode == Mode::Live,
            },
            requests: specs.iter().map(|s| s.params.clone()).collect(),
        }));
    }
    let keyed = KeyedRequest::from_http(&req, caller.workspace, &bytes)?;
    let state = state.into_inner();
    idempotency::execute(&mut conn, keyed, move |conn| {
        Box::pin(async move {
            let account = credits::lock_account(conn, caller.workspace, caller.mode)
                .await
                .map_err(ApiError::internal)?;
            let wanted = specs.len();
            if account.active_jobs + wanted as i64 > i64::from(account.max_concurrent_jobs) {
                return Err(errors::capacity_exceeded(
                    account.active_jobs,
                    wanted,
                    account.max_concurrent_jobs,
                ));
            }
            if caller.mode == Mode::Live && account.available() < price {
                return Err(errors::insufficient_credits(price, account.available()));
            }
            let mut created = Vec::with_capacity(wanted);
            for spec in &specs {
                let id = Uuid::now_v7();
                let reserved = if caller.mode == Mode::Live {
                    spec.price
                } else {
                    0
                };
                let row = models::insert_job(
                    conn,
                    &NewJob {
                        id,
                        workspace_id: caller.workspace,
                        mode: caller.mode,
                        user_id: caller.principal.user_id.as_deref(),
                        key_id: &caller.principal.key_id,
                        job_type: spec.job_type.as_str(),
                        request: &spec.params,
                        provider: state.provider_for(spec.job_type, caller.mode),
                        credits_estimated: spec.price,
                        credits_reserved: reserved,
                        webhook_url: common.webhook_url.as_deref(),
                        deadline_secs: state.job_deadline_seconds,
                        max_attempts: state.job_max_attempts,
                    },
                )
                .await
                .map_err(ApiError::internal)?;
                credits::reserve(conn, caller.workspace, caller.mode, id, spec.price)
                    .await
                    .map_err(ApiError::internal)?;
                created.push(views::Job::from(&row));
            }
            state.jobs.notify(conn).await.map_err(ApiError::internal)?;
            if job_type == JobType::FaceSwap {
                Reply::json(
                    StatusCode::ACCEPTED,
                    &views::List {
                        object: "list",
                        data: created,
                        has_more: false,
                        next_cursor: None,
                    },
                )
            } else {
                let job = created
                    .pop()
                    .ok_or_else(|| ApiError::internal("a create made no job"))?;
                Reply::json(StatusCode::ACCEPTED, &job)
            }
        })
    })
    .await
}

/// `brand_id` and `avatar_id` must name a profile of the workspace / a usable avatar.
async fn check_references(
    conn: &mut diesel_async::AsyncPgConnection,
    workspace: Uuid,
    refs: &References,
) -> Result<(), ApiError> {
    let unknown = |field: &str| {
        ApiError::validation(
            field,
            format!(
                "{field} does not name one of this workspace's {}",
                if field == "brand_id" {
                    "brand profiles"
                } else {
                    "avatars"
                }
            ),
        )
        .with_details(json!({ "field": field }))
    };
    if let Some(raw) = &refs.brand_id {
        let id = ids::parse(ids::BRAND, raw).ok_or_else(|| unknown("brand_id"))?;
        match models::find_brand(conn, workspace, id).await {
            Ok(_) => {}
            Err(diesel::result::Error::NotFound) => return Err(unknown("brand_id")),
            Err(e) => return Err(ApiError::internal(e)),
        }
    }
    if let Some(raw) = &refs.avatar_id {
        let id = ids::parse(ids::AVATAR, raw).ok_or_else(|| unknown("avatar_id"))?;
        match models::find_avatar(conn, workspace, id).await {
            Ok(_) => {}
            Err(diesel::result::Error::NotFound) => return Err(unknown("avatar_id")),
            Err(e) => return Err(ApiError::internal(e)),
        }
    }
    Ok(())
}
