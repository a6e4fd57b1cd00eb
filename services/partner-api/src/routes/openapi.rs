//! `GET /api/partner/openapi.json`.

use actix_web::HttpResponse;

pub async fn document() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(crate::openapi::document().to_string())
}
