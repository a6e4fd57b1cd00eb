//! HTTP routes, wired in one place.

mod health;
mod ingest;
mod list;
mod openapi;

use actix_web::web;

pub fn configure(max_body_bytes: usize) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.route("/api/partner/health", web::get().to(health::health))
            .route("/api/partner/events", web::get().to(list::events))
            .route("/api/partner/logs", web::get().to(list::logs))
            .route("/api/partner/sessions", web::get().to(list::sessions))
            .route(
                "/api/partner/openapi.json",
                web::get().to(openapi::document),
            )
            .service(
                web::resource("/sdk/ingest")
                    .app_data(web::PayloadConfig::new(max_body_bytes))
                    .route(web::post().to(ingest::ingest)),
            );
    }
}
