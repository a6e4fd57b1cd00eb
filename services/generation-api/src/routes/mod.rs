//! HTTP routes, wired in [`configure`]. The scope is in the extractor type
//! (`Scoped<Read>` for reads, `Scoped<Generate>` for anything that may spend
//! credits); the workspace and mode come only from the principal ([`Caller`]).

use crate::{AppState, credits::Mode};
use actix_web::web;
use auth_core::Principal;
use error_envelope::ApiError;
use std::collections::HashMap;
use uuid::Uuid;

pub mod account;
pub mod catalog;
pub mod create;
pub mod files;
pub mod jobs;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/openapi.json", web::get().to(crate::openapi::serve))
            .route("/files/{key:.*}", web::get().to(files::download))
            .route("/me", web::get().to(account::me))
            .route("/credits", web::get().to(account::credits))
            .route("/brand", web::get().to(catalog::brands))
            .route("/brand/current", web::get().to(catalog::current_brand))
            .route("/avatars", web::get().to(catalog::avatars))
            .route("/avatars/{avatar_id}", web::get().to(catalog::avatar))
            .route("/jobs", web::get().to(jobs::list))
            .route("/jobs/{job_id}", web::get().to(jobs::get))
            .route("/jobs/{job_id}/result", web::get().to(jobs::result))
            .route("/jobs/{job_id}/cancel", web::post().to(jobs::cancel))
            .route("/images/generations", web::post().to(create::images))
            .route("/videos/generations", web::post().to(create::videos))
            .route("/ads/videos", web::post().to(create::ad_videos))
            .route("/face-swap", web::post().to(create::face_swap))
            .route(
                "/reference-analysis",
                web::post().to(create::reference_analysis),
            ),
    );
}

/// The workspace and mode of the caller, from its principal only.
#[derive(Debug, Clone)]
pub struct Caller {
    pub workspace: Uuid,
    pub mode: Mode,
    pub principal: Principal,
}

impl Caller {
    pub fn new(principal: &Principal) -> Self {
        Self {
            workspace: principal.tenant_id,
            mode: Mode::parse(&principal.env),
            principal: principal.clone(),
        }
    }
}

/// Query parameters, refusing any name outside `allowed` (400 `invalid_request`).
pub fn query_params(raw: &str, allowed: &[&str]) -> Result<HashMap<String, String>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).map_err(|_| {
        ApiError::from_code(
            error_envelope::codes::INVALID_REQUEST,
            "the query string is malformed",
        )
    })?;
    let mut out = HashMap::new();
    for (k, v) in pairs {
        if !allowed.contains(&k.as_str()) {
            return Err(ApiError::bad_parameter(
                error_envelope::codes::INVALID_REQUEST,
                &k,
                format!(
                    "unknown query parameter {k} (allowed: {})",
                    allowed.join(", ")
                ),
            ));
        }
        out.insert(k, v);
    }
    Ok(out)
}

pub type State = web::Data<AppState>;
