//! CORS for `/sdk/ingest` only (browsers call it; the bearer routes send no CORS
//! headers): preflight `OPTIONS` and `Access-Control-Allow-Origin` on every answer,
//! errors included, for the origins of `ingest.cors_allowed_origins` (`*` = any).

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, HeaderMap, HeaderValue},
    web,
};
use std::sync::Arc;

/// The configured allow-list, as app data of the ingest resource.
#[derive(Debug, Clone)]
pub struct AllowedOrigins(pub Arc<[String]>);

impl AllowedOrigins {
    /// The `Access-Control-Allow-Origin` value for a request with these headers, if allowed.
    fn allow(&self, request: &HeaderMap) -> Option<HeaderValue> {
        if self.0.iter().any(|o| o == "*") {
            return Some(HeaderValue::from_static("*"));
        }
        let origin = request.get(header::ORIGIN)?;
        let text = origin.to_str().ok()?;
        self.0.iter().any(|o| o == text).then(|| origin.clone())
    }

    /// Adds `Access-Control-Allow-Origin` (and `Vary: Origin` for a listed origin).
    pub fn decorate(&self, request: &HeaderMap, response: &mut HeaderMap) {
        if let Some(value) = self.allow(request) {
            if value != "*" {
                response.insert(header::VARY, HeaderValue::from_static("Origin"));
            }
            response.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        }
    }
}

/// `OPTIONS /sdk/ingest`: the preflight answer (204; headers only when the origin is allowed).
pub async fn preflight(req: HttpRequest, allowed: web::Data<AllowedOrigins>) -> HttpResponse {
    let mut res = HttpResponse::NoContent().finish();
    let before = res.headers().len();
    allowed.decorate(req.headers(), res.headers_mut());
    if res.headers().len() > before {
        let h = res.headers_mut();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("POST, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("Content-Type"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("86400"),
        );
    }
    res
}
