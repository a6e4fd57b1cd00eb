//! [`ApiError`]: the error every handler returns, built from an [`ErrorCode`]
//! of the registry, and the one mapping of infrastructure errors into it.

use crate::ErrorCode;
use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use serde_json::{Value, json};
use std::borrow::Cow;

/// Which body shape a service answers errors with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    /// Admin and partner: `{"error":{"code","message","details","request_id"}}`.
    #[default]
    Admin,
    /// Generation: `{"error":{"code","message","details"},"request_id"}`.
    Generation,
}

/// The error every handler returns. The message is for the caller; `log_detail`
/// is for the log only and never reaches a response body.
///
/// Boxed so that `Result<T, ApiError>` stays one pointer wide on the happy path.
#[derive(Debug, Clone)]
pub struct ApiError(Box<Inner>);

#[derive(Debug, Clone)]
struct Inner {
    status: StatusCode,
    code: ErrorCode,
    message: Cow<'static, str>,
    details: Value,
    headers: Vec<(header::HeaderName, header::HeaderValue)>,
    log_detail: Option<String>,
}

impl ApiError {
    /// An error with `code` and its registered status.
    pub fn from_code(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self::with_status(code.status(), code, message)
    }

    /// An error with an explicit status. The status must be the code's
    /// registered one, except for `invalid_request`, which also stands for the
    /// other 4xx statuses (e.g. 431) raised before a handler runs.
    /// Prefer [`from_code`](Self::from_code).
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        debug_assert!(
            status == code.status()
                || (code == ErrorCode::InvalidRequest && status.is_client_error()),
            "{code} is registered with {}, not {status}",
            code.status()
        );
        Self::with_status(status, code, message)
    }

    fn with_status(
        status: StatusCode,
        code: ErrorCode,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self(Box::new(Inner {
            status,
            code,
            message: message.into(),
            details: json!({}),
            headers: Vec::new(),
            log_detail: None,
        }))
    }

    /// Replaces `details` (an object by convention).
    pub fn with_details(mut self, details: Value) -> Self {
        self.0.details = details;
        self
    }

    /// Adds a response header (e.g. `WWW-Authenticate`, `Retry-After`).
    pub fn with_header(mut self, name: header::HeaderName, value: header::HeaderValue) -> Self {
        self.0.headers.push((name, value));
        self
    }

    /// Attaches a detail for the log, never shown to the caller.
    pub fn with_log_detail(mut self, detail: impl Into<String>) -> Self {
        self.0.log_detail = Some(detail.into());
        self
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }
    /// The code on the wire.
    pub fn code(&self) -> &'static str {
        self.0.code.as_str()
    }
    pub fn error_code(&self) -> ErrorCode {
        self.0.code
    }
    pub fn message(&self) -> &str {
        &self.0.message
    }
    pub fn details(&self) -> &Value {
        &self.0.details
    }

    // ---- the registry: one constructor per code -------------------------------------------

    pub fn invalid_token(message: impl Into<Cow<'static, str>>) -> Self {
        Self::from_code(ErrorCode::InvalidToken, message).with_header(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer error=\"invalid_token\""),
        )
    }

    pub fn insufficient_scope(scope: &str) -> Self {
        Self::from_code(
            ErrorCode::InsufficientScope,
            format!("this key lacks the scope {scope}"),
        )
        .with_details(json!({ "required_scope": scope }))
    }

    /// 400 `validation_failed` naming the field.
    pub fn validation(field: &str, message: impl Into<Cow<'static, str>>) -> Self {
        Self::from_code(ErrorCode::ValidationFailed, message)
            .with_details(json!({ "field": field }))
    }

    /// `code` with the offending parameter in `details.parameter`.
    pub fn bad_parameter(code: ErrorCode, parameter: &str, message: impl Into<String>) -> Self {
        Self::from_code(code, message.into()).with_details(json!({ "parameter": parameter }))
    }

    pub fn invalid_cursor() -> Self {
        Self::from_code(
            ErrorCode::InvalidCursor,
            "the cursor is malformed, tampered with, or was issued for other filters or sort",
        )
        .with_details(json!({ "parameter": "cursor" }))
    }

    pub fn not_found(resource: &str) -> Self {
        Self::from_code(ErrorCode::NotFound, format!("{resource} not found"))
    }

    pub fn invalid_state(message: impl Into<Cow<'static, str>>) -> Self {
        Self::from_code(ErrorCode::InvalidState, message)
    }

    pub fn payload_too_large(limit_bytes: usize) -> Self {
        Self::from_code(
            ErrorCode::PayloadTooLarge,
            format!("the request body exceeds {limit_bytes} bytes"),
        )
        .with_details(json!({ "limit_bytes": limit_bytes }))
    }

    pub fn rate_limited(retry_after_seconds: u64) -> Self {
        Self::from_code(ErrorCode::RateLimited, "rate limit exceeded")
            .with_details(json!({ "retry_after_seconds": retry_after_seconds }))
            .with_header(
                header::RETRY_AFTER,
                header::HeaderValue::from(retry_after_seconds),
            )
    }

    /// A 503 (`service_unavailable`, `upstream_unavailable`, …).
    pub fn service_unavailable(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        debug_assert_eq!(code.status(), StatusCode::SERVICE_UNAVAILABLE, "{code}");
        Self::from_code(code, message)
    }

    /// 503 `service_unavailable` for the database or its pool (busy or down).
    pub fn database_unavailable() -> Self {
        Self::from_code(
            ErrorCode::ServiceUnavailable,
            "the database is busy or unavailable; retry shortly",
        )
    }

    /// A 500 whose cause goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::from_code(ErrorCode::Internal, "internal error").with_log_detail(cause.to_string())
    }

    // ---- rendering -------------------------------------------------------------------------

    /// The body in `dialect`, carrying `request_id`.
    pub fn body(&self, dialect: Dialect, request_id: &str) -> Value {
        match dialect {
            Dialect::Admin => json!({
                "error": {
                    "code": self.0.code.as_str(),
                    "message": self.0.message,
                    "details": self.0.details,
                    "request_id": request_id,
                }
            }),
            Dialect::Generation => json!({
                "error": {
                    "code": self.0.code.as_str(),
                    "message": self.0.message,
                    "details": self.0.details,
                },
                "request_id": request_id,
            }),
        }
    }

    /// A complete response in `dialect` with `X-Request-Id`.
    pub fn render(&self, dialect: Dialect, request_id: &str) -> HttpResponse {
        if self.0.status.is_server_error() {
            tracing::error!(
                code = self.0.code.as_str(),
                detail = self.0.log_detail.as_deref().unwrap_or(""),
                "request failed"
            );
        } else if let Some(detail) = &self.0.log_detail {
            tracing::info!(code = self.0.code.as_str(), detail, "request refused");
        }
        let mut res = HttpResponse::build(self.0.status);
        for (name, value) in &self.0.headers {
            res.insert_header((name.clone(), value.clone()));
        }
        if let Ok(v) = header::HeaderValue::from_str(request_id) {
            res.insert_header((header::HeaderName::from_static("x-request-id"), v));
        }
        res.insert_header((
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        ));
        res.json(self.body(dialect, request_id))
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.0.code,
            self.0.status.as_u16(),
            self.0.message
        )
    }
}

impl std::error::Error for ApiError {}

/// Outside [`RequestContext`](crate::RequestContext) the error renders in the
/// admin dialect without a request id; inside it, the middleware re-renders it
/// with the service's dialect and the request's id.
impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status
    }

    fn error_response(&self) -> HttpResponse {
        self.render(Dialect::Admin, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_dialect_nests_the_request_id() {
        let e = ApiError::validation("audience_id", "audience_id required for campaign creation");
        let body = e.body(Dialect::Admin, "req_1");
        assert_eq!(
            body,
            json!({"error":{"code":"validation_failed","message":"audience_id required for campaign creation","details":{"field":"audience_id"},"request_id":"req_1"}})
        );
    }

    #[test]
    fn generation_dialect_puts_the_request_id_beside_the_error() {
        let e = ApiError::not_found("job");
        let body = e.body(Dialect::Generation, "req_2");
        assert_eq!(body["request_id"], "req_2");
        assert_eq!(body["error"]["code"], "not_found");
        assert!(body["error"].get("request_id").is_none());
    }

    #[test]
    fn internal_errors_never_leak_their_cause() {
        let e = ApiError::internal("password authentication failed for user admin");
        let body = e.body(Dialect::Admin, "req_3").to_string();
        assert!(!body.contains("password"));
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn rate_limited_carries_retry_after() {
        let res = ApiError::rate_limited(60).render(Dialect::Admin, "req_4");
        assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(res.headers().get("retry-after").unwrap(), "60");
        assert_eq!(res.headers().get("x-request-id").unwrap(), "req_4");
    }
}
