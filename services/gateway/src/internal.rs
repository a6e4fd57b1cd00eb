//! The internal listener (port 9080 by default, never exposed publicly):
//! `GET /healthz` (liveness, no I/O), `GET /readyz` (auth and ratelimit answer a
//! gRPC handshake within the connect timeout, and no shutdown is under way),
//! `GET /metrics` (Prometheus text format).

use crate::{authn::AuthCache, metrics::Metrics};
use actix_web::{HttpResponse, web};
use serde_json::json;
use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};
use tonic::transport::Endpoint;

pub struct Readiness {
    pub auth: Endpoint,
    pub ratelimit: Endpoint,
    pub draining: Arc<AtomicBool>,
    pub metrics: Arc<Metrics>,
    pub cache: Arc<AuthCache>,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

async fn readyz(state: web::Data<Readiness>) -> HttpResponse {
    if state.draining.load(Ordering::SeqCst) {
        return HttpResponse::ServiceUnavailable().json(json!({ "status": "draining" }));
    }
    let (auth, ratelimit) =
        futures_util::future::join(state.auth.connect(), state.ratelimit.connect()).await;
    let body = json!({
        "status": if auth.is_ok() && ratelimit.is_ok() { "ready" } else { "not_ready" },
        "auth": if auth.is_ok() { "ok" } else { "unreachable" },
        "ratelimit": if ratelimit.is_ok() { "ok" } else { "unreachable" },
    });
    if auth.is_ok() && ratelimit.is_ok() {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn metrics(state: web::Data<Readiness>) -> HttpResponse {
    let mut text = state.metrics.render();
    text.push_str("# HELP gateway_auth_cache_entries Cached principals.\n# TYPE gateway_auth_cache_entries gauge\n");
    text.push_str(&format!(
        "gateway_auth_cache_entries {}\n",
        state.cache.len()
    ));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(text)
}
