//! `GET /api/v1/usage` (any valid token): this key's usage counters and
//! rate-limit state, read from the ratelimit service over gRPC (`GetUsage`,
//! and `ShouldRateLimit` with `check_only` for the current window). Subject =
//! the key id. Ratelimit unreachable → 503 `upstream_unavailable`.

use crate::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use auth_core::extract::Authenticated;
use error_envelope::{ApiError, ErrorCode};
use rpc::ratelimit::{Descriptor, RateLimitRequest, UsageRequest};
use serde::Serialize;

/// The route class whose window `rate_limit` reports (all reads of the admin API).
pub const ROUTE_CLASS: &str = "read";

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UsageAttributes {
    pub tier: String,
    pub day: String,
    pub month: String,
    pub requests_today: u64,
    pub refused_today: u64,
    pub requests_this_month: u64,
    pub refused_this_month: u64,
    pub rate_limit: RateLimitState,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RateLimitState {
    pub route_class: &'static str,
    pub policy: String,
    pub limit: u32,
    pub remaining: u32,
    pub window_seconds: u32,
    pub reset_epoch_seconds: i64,
}

fn unavailable(e: tonic::Status) -> ApiError {
    ApiError::service_unavailable(
        ErrorCode::UpstreamUnavailable,
        "usage data is temporarily unavailable; retry shortly",
    )
    .with_log_detail(format!("ratelimit: {e}"))
}

pub async fn get(
    auth: Authenticated,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    crate::listing::no_query(req.query_string())?;
    let p = auth.0;
    let mut client = state.ratelimit.clone();
    let usage = client
        .get_usage(UsageRequest {
            subject: p.key_id.clone(),
            day: String::new(),
        })
        .await
        .map_err(unavailable)?
        .into_inner();
    let descriptor = Descriptor {
        subject: p.key_id.clone(),
        tier: p.tier.clone(),
        route_class: ROUTE_CLASS.into(),
    };
    let window = client
        .should_rate_limit(RateLimitRequest {
            descriptor: Some(descriptor),
            hits: 0,
            check_only: true,
            requests: 0,
            report_only: false,
        })
        .await
        .map_err(unavailable)?
        .into_inner();
    let body = serde_json::json!({
        "data": {
            "id": p.key_id,
            "type": "usage",
            "attributes": UsageAttributes {
                tier: p.tier,
                day: usage.day,
                month: usage.month,
                requests_today: usage.requests_today,
                refused_today: usage.refused_today,
                requests_this_month: usage.requests_this_month,
                refused_this_month: usage.refused_this_month,
                rate_limit: RateLimitState {
                    route_class: ROUTE_CLASS,
                    policy: window.policy_name,
                    limit: window.limit,
                    remaining: window.remaining,
                    window_seconds: window.window_seconds,
                    reset_epoch_seconds: window.reset_epoch_seconds,
                },
            },
        }
    });
    Ok(HttpResponse::Ok().json(body))
}
