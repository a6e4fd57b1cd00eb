//! HTTP routes: the operator API under `/v1` (behind the operator token), the
//! JWKS, and health. Wired in one [`configure`] function.

mod body;
mod jwks;
mod keys;
mod operator;
mod signing_keys;
mod tenants;
mod users;

use actix_web::{middleware::from_fn, web};

pub use body::Fields;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/.well-known/jwks.json").route(web::get().to(jwks::jwks)))
        .service(
            web::scope("/v1")
                .wrap(from_fn(operator::require_operator))
                .service(
                    web::resource("/tenants")
                        .route(web::post().to(tenants::create))
                        .route(web::get().to(tenants::list)),
                )
                .service(web::resource("/tenants/{id}").route(web::get().to(tenants::get)))
                .service(
                    web::resource("/tenants/{id}/users")
                        .route(web::post().to(users::create))
                        .route(web::get().to(users::list)),
                )
                .service(
                    web::resource("/keys")
                        .route(web::post().to(keys::mint))
                        .route(web::get().to(keys::list)),
                )
                .service(web::resource("/keys/{id}").route(web::get().to(keys::get)))
                .service(web::resource("/keys/{id}/revoke").route(web::post().to(keys::revoke)))
                .service(web::resource("/keys/{id}/roll").route(web::post().to(keys::roll)))
                .service(web::resource("/signing-keys").route(web::get().to(signing_keys::list)))
                .service(
                    web::resource("/signing-keys/rotate")
                        .route(web::post().to(signing_keys::rotate)),
                )
                .default_service(web::to(error_envelope::not_found_handler)),
        );
}
