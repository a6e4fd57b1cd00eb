//! The `Content-Type` check of write bodies: 415 `unsupported_media_type` for
//! any other media type (or none), with the accepted ones in `details.accepted`.

use crate::{ApiError, ErrorCode};
use actix_web::{HttpRequest, http::header};
use serde_json::json;

/// The media types of a JSON write body (parameters such as `charset` are ignored).
pub const JSON_MEDIA_TYPES: &[&str] = &["application/json", "application/vnd.api+json"];

/// Ok when the request's `Content-Type` (without parameters, case-insensitive)
/// is one of `accepted`; otherwise 415 `unsupported_media_type`.
pub fn require_media_type(req: &HttpRequest, accepted: &[&str]) -> Result<(), ApiError> {
    let essence = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match essence {
        Some(t) if accepted.contains(&t.as_str()) => Ok(()),
        _ => Err(ApiError::from_code(
            ErrorCode::UnsupportedMediaType,
            format!("Content-Type must be one of: {}", accepted.join(", ")),
        )
        .with_details(json!({ "header": "Content-Type", "accepted": accepted }))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn json_with_parameters_passes_and_others_are_415() {
        let ok = TestRequest::default()
            .insert_header(("content-type", "Application/JSON; charset=utf-8"))
            .to_http_request();
        assert!(require_media_type(&ok, JSON_MEDIA_TYPES).is_ok());
        let api = TestRequest::default()
            .insert_header(("content-type", "application/vnd.api+json"))
            .to_http_request();
        assert!(require_media_type(&api, JSON_MEDIA_TYPES).is_ok());
        for req in [
            TestRequest::default().to_http_request(),
            TestRequest::default()
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .to_http_request(),
        ] {
            let e = require_media_type(&req, JSON_MEDIA_TYPES).unwrap_err();
            assert_eq!(e.code(), "unsupported_media_type");
            assert_eq!(e.status().as_u16(), 415);
        }
    }
}
