//! HTTP routes, wired in one place.

mod cors;
mod health;
mod ingest;
mod list;
mod openapi;

use actix_web::{dev::Service, http::Method, web};
use std::sync::Arc;

pub fn configure(
    max_body_bytes: usize,
    cors_origins: Arc<[String]>,
) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        use error_envelope::get_or_head as read;
        let allowed = cors::AllowedOrigins(cors_origins);
        // One `web::resource` per path: another method is 405 with `Allow`; GET also answers HEAD.
        cfg.service(web::resource("/api/partner/health").route(read().to(health::health)))
            .service(web::resource("/api/partner/events").route(read().to(list::events)))
            .service(web::resource("/api/partner/logs").route(read().to(list::logs)))
            .service(web::resource("/api/partner/sessions").route(read().to(list::sessions)))
            .service(web::resource("/api/partner/openapi.json").route(read().to(openapi::document)))
            .service(
                web::resource("/sdk/ingest")
                    .app_data(web::PayloadConfig::new(max_body_bytes))
                    .app_data(web::Data::new(allowed.clone()))
                    .route(web::post().to(ingest::ingest))
                    .route(web::method(Method::OPTIONS).to(cors::preflight))
                    .wrap_fn(move |req, srv| {
                        let request = req.headers().clone();
                        let allowed = allowed.clone();
                        let fut = srv.call(req);
                        async move {
                            let mut res = fut.await?;
                            allowed.decorate(&request, res.headers_mut());
                            Ok(res)
                        }
                    }),
            );
    }
}
