//! The OpenAPI document, generated from the code with utoipa (the handlers'
//! `#[utoipa::path]` and the views' `ToSchema`). Served at
//! `/api/v1/openapi.json`; `services/generation-api/openapi.json` is the
//! committed copy a test keeps equal (`UPDATE_OPENAPI=1` rewrites it).

use crate::{routes, views};
use actix_web::HttpResponse;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

/// POST /images/generations.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "a documentation-only schema: never built, only described"
)]
pub struct ImageRequest {
    /// 1–2000 characters.
    prompt: String,
    /// 1:1 (default) | 4:5 | 9:16 | 16:9
    aspect_ratio: Option<String>,
    /// 1–4, default 1.
    image_count: Option<u8>,
    /// `brand_…` of this workspace.
    brand_id: Option<String>,
    style: Option<String>,
    /// Same seed and prompt → same image.
    seed: Option<u32>,
    negative_prompt: Option<String>,
    /// png (default) | webp
    output_format: Option<String>,
    /// Validate and price only: no job, no hold.
    dry_run: Option<bool>,
    /// https URL receiving job.succeeded / job.failed / job.canceled.
    webhook_url: Option<String>,
}

/// POST /videos/generations.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "a documentation-only schema: never built, only described"
)]
pub struct VideoRequest {
    prompt: String,
    /// 1–30 seconds, default 5.
    duration_s: Option<u8>,
    /// 16:9 (default) | 1:1 | 4:5 | 9:16
    aspect_ratio: Option<String>,
    source_asset_id: Option<String>,
    seed: Option<u32>,
    dry_run: Option<bool>,
    webhook_url: Option<String>,
}

/// POST /ads/videos: `script` or `brief` is required.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "a documentation-only schema: never built, only described"
)]
pub struct AdVideoRequest {
    product: String,
    script: Option<String>,
    brief: Option<String>,
    /// `avt_…`: a public avatar or one of this workspace's.
    avatar_id: Option<String>,
    /// 5–60 seconds, default 15.
    duration_s: Option<u8>,
    /// 9:16 (default) | 1:1 | 4:5 | 16:9
    aspect_ratio: Option<String>,
    brand_id: Option<String>,
    dry_run: Option<bool>,
    webhook_url: Option<String>,
}

/// POST /face-swap: one job per target.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "a documentation-only schema: never built, only described"
)]
pub struct FaceSwapRequest {
    source_asset_id: String,
    /// 1–10 targets.
    target_asset_ids: Vec<String>,
    dry_run: Option<bool>,
    webhook_url: Option<String>,
}

/// POST /reference-analysis.
#[derive(ToSchema)]
#[expect(
    dead_code,
    reason = "a documentation-only schema: never built, only described"
)]
pub struct ReferenceAnalysisRequest {
    /// A public https TikTok video or Instagram Reel URL.
    url: String,
    dry_run: Option<bool>,
    webhook_url: Option<String>,
}

/// An empty body (or none).
#[derive(ToSchema)]
pub struct EmptyBody {}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A workspace API key: sume_live_… or sume_test_… (test mode)",
                    ))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Sume Generation API", version = "1.0.0",
         description = "Workspace-scoped media generation: credits, brand, avatars and asynchronous jobs. \
Errors: {\"error\":{\"code\",\"message\",\"details\"},\"request_id\"}. Never pass workspace_id or user_id: \
the API key decides them."),
    servers((url = "https://www.sume.so")),
    paths(
        routes::account::me, routes::account::credits,
        routes::catalog::brands, routes::catalog::current_brand,
        routes::catalog::avatars, routes::catalog::avatar,
        routes::jobs::list, routes::jobs::get, routes::jobs::result, routes::jobs::cancel,
        routes::create::images, routes::create::videos, routes::create::ad_videos,
        routes::create::face_swap, routes::create::reference_analysis,
    ),
    components(schemas(
        views::Job, views::JobError, views::JobCredits, views::JobResult, views::Output,
        views::Brand, views::Avatar, views::Credits, views::DryRun, views::DryRunCredits,
        EmptyBody, ImageRequest, VideoRequest, AdVideoRequest, FaceSwapRequest, ReferenceAnalysisRequest,
    )),
    modifiers(&Security),
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
