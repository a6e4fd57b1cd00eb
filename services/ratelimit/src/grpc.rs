//! The gRPC service `platform.ratelimit.v1.RateLimit` (contract: `proto/platform/ratelimit.proto`).
//!
//! Status codes: `INVALID_ARGUMENT` for a missing/invalid descriptor, a bad `day`, or `hits`
//! larger than the policy's capacity (such a request could never pass); `UNAVAILABLE` when
//! Redis cannot decide and the failure policy is `fail_closed` (the gateway answers 503),
//! and for `GetUsage` whenever Redis is unavailable (usage has no fallback).

use crate::limiter::{DecideError, Limiter, Request};
use rpc::ratelimit::{
    Code, RateLimitRequest, RateLimitResponse, UsageRequest, UsageResponse,
    rate_limit_server::RateLimit,
};
use std::sync::Arc;
use tonic::{Response, Status};

#[derive(Debug, Clone)]
pub struct RateLimitService {
    limiter: Arc<Limiter>,
}

impl RateLimitService {
    pub fn new(limiter: Arc<Limiter>) -> Self {
        Self { limiter }
    }
}

fn status(e: DecideError) -> Status {
    match e {
        DecideError::Invalid(msg) => Status::invalid_argument(msg),
        DecideError::Unavailable => Status::unavailable("rate-limit store unavailable"),
    }
}

#[tonic::async_trait]
impl RateLimit for RateLimitService {
    async fn should_rate_limit(
        &self,
        request: tonic::Request<RateLimitRequest>,
    ) -> Result<Response<RateLimitResponse>, Status> {
        let r = request.into_inner();
        let Some(d) = r.descriptor else {
            return Err(Status::invalid_argument("descriptor is required"));
        };
        let req = Request {
            subject: &d.subject,
            tier: &d.tier,
            route_class: &d.route_class,
            hits: r.hits,
            check_only: r.check_only,
            requests: r.requests,
            report_only: r.report_only,
        };
        let dec = self.limiter.decide(&req).await.map_err(status)?;
        Ok(Response::new(RateLimitResponse {
            code: if dec.allowed {
                Code::Ok
            } else {
                Code::OverLimit
            }
            .into(),
            limit: dec.limit,
            remaining: dec.remaining,
            reset_epoch_seconds: dec.reset_epoch_seconds,
            retry_after_seconds: dec.retry_after_seconds,
            window_seconds: dec.window_seconds,
            policy_name: dec.policy_name,
            shadow: dec.shadow,
            degraded: dec.degraded,
            burst: dec.burst,
        }))
    }

    async fn get_usage(
        &self,
        request: tonic::Request<UsageRequest>,
    ) -> Result<Response<UsageResponse>, Status> {
        let r = request.into_inner();
        let day = if r.day.is_empty() {
            None
        } else {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            Some(
                time::Date::parse(&r.day, &fmt)
                    .map_err(|_| Status::invalid_argument("day must be YYYY-MM-DD"))?,
            )
        };
        let u = self.limiter.usage(&r.subject, day).await.map_err(status)?;
        Ok(Response::new(UsageResponse {
            subject: r.subject,
            day: u.day,
            month: u.month,
            requests_today: u.requests_today,
            refused_today: u.refused_today,
            requests_this_month: u.requests_this_month,
            refused_this_month: u.refused_this_month,
        }))
    }
}
