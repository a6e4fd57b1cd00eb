//! `GET /metrics`: Prometheus text format (see `crate::metrics`).

use crate::metrics::Metrics;
use actix_web::{HttpResponse, web};
use std::sync::Arc;

pub async fn metrics(m: web::Data<Arc<Metrics>>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(m.render())
}
