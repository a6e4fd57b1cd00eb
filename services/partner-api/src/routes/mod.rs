//! HTTP routes, wired in one place.

mod health;
mod ingest;
mod list;
mod openapi;

use actix_web::web;

pub fn configure(max_body_bytes: usize) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        use error_envelope::get_or_head as read;
        // One `web::resource` per path: another method is 405 with `Allow`; GET also answers HEAD.
        cfg.service(web::resource("/api/partner/health").route(read().to(health::health)))
            .service(web::resource("/api/partner/events").route(read().to(list::events)))
            .service(web::resource("/api/partner/logs").route(read().to(list::logs)))
            .service(web::resource("/api/partner/sessions").route(read().to(list::sessions)))
            .service(web::resource("/api/partner/openapi.json").route(read().to(openapi::document)))
            .service(
                web::resource("/sdk/ingest")
                    .app_data(web::PayloadConfig::new(max_body_bytes))
                    .route(web::post().to(ingest::ingest)),
            );
    }
}
