//! The HTTP listener (`http_listen`, default 127.0.0.1:8182): probes and metrics only.

pub(crate) mod health;
mod metrics;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(metrics::metrics));
}
