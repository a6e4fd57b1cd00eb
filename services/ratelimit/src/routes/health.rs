//! `GET /healthz` (liveness, no I/O) and `GET /readyz` (Redis answers `PING` within 500 ms,
//! unless `ready_without_redis`).

use crate::limiter::Limiter;
use actix_web::{HttpResponse, web};
use std::{sync::Arc, time::Duration};

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({ "status": "ok" }))
}

pub async fn readyz(
    limiter: web::Data<Arc<Limiter>>,
    ready_without_redis: web::Data<ReadyWithoutRedis>,
) -> HttpResponse {
    let up = limiter.redis_ready(Duration::from_millis(500)).await;
    let body = serde_json::json!({
        "status": if up || ready_without_redis.0 { "ready" } else { "unavailable" },
        "redis": if up { "up" } else { "down" },
        "failure_policy": limiter.failure_policy().as_str(),
    });
    if up || ready_without_redis.0 {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Config switch `ready_without_redis`.
#[derive(Debug, Clone, Copy)]
pub struct ReadyWithoutRedis(pub bool);
