//! [`ErrorCode`]: every code the platform answers with, bound to its HTTP status
//! in one place.

use actix_web::http::StatusCode;

macro_rules! registry {
    ($( $(#[$doc:meta])* $variant:ident => ($code:literal, $status:ident) ),* $(,)?) => {
        /// Every stable error code of the platform with its HTTP status.
        ///
        /// Clients match on [`as_str`](Self::as_str); never rename one. A new
        /// code is added here (and nowhere else) with its status; the OpenAPI
        /// generators read [`ErrorCode::registry`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in registry order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The snake_case code on the wire.
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $code,)* }
            }

            /// The HTTP status every response with this code carries.
            pub const fn status(self) -> StatusCode {
                match self { $(ErrorCode::$variant => StatusCode::$status,)* }
            }
        }
    };
}

registry! {
    /// The bearer credential is missing, malformed, unknown, revoked or expired.
    InvalidToken => ("invalid_token", UNAUTHORIZED),
    /// The partner SDK ingest named a project that is malformed or unknown.
    InvalidProject => ("invalid_project", UNAUTHORIZED),
    /// The credential is valid but lacks the route's scope.
    InsufficientScope => ("insufficient_scope", FORBIDDEN),
    /// The generation workspace has not enough credits for the job.
    InsufficientCredits => ("insufficient_credits", PAYMENT_REQUIRED),
    /// Too many requests for the key's tier.
    RateLimited => ("rate_limited", TOO_MANY_REQUESTS),
    /// Too many generation jobs in flight for the workspace.
    CapacityExceeded => ("capacity_exceeded", TOO_MANY_REQUESTS),
    /// A body field (named in `details.field`) is missing or invalid.
    ValidationFailed => ("validation_failed", BAD_REQUEST),
    /// The request is malformed (query string, headers, …). The middleware also
    /// uses it for the other 4xx statuses actix raises itself (e.g. 431).
    InvalidRequest => ("invalid_request", BAD_REQUEST),
    /// The body is not JSON.
    InvalidJson => ("invalid_json", BAD_REQUEST),
    /// A partner `q[…]` filter is invalid.
    InvalidQ => ("invalid_q", BAD_REQUEST),
    /// The cursor is malformed, tampered with, or from another query.
    InvalidCursor => ("invalid_cursor", BAD_REQUEST),
    /// No such resource (or route) for this tenant.
    NotFound => ("not_found", NOT_FOUND),
    /// The route exists but not with this method.
    MethodNotAllowed => ("method_not_allowed", METHOD_NOT_ALLOWED),
    /// A unique value is already taken.
    Conflict => ("conflict", CONFLICT),
    /// The resource is not in a state that allows the action.
    InvalidState => ("invalid_state", CONFLICT),
    /// The outputs of a generation job were asked for before it succeeded.
    JobNotSucceeded => ("job_not_succeeded", CONFLICT),
    /// The `Idempotency-Key` was used before with another request.
    IdempotencyKeyReused => ("idempotency_key_reused", CONFLICT),
    /// A request with the same `Idempotency-Key` is still running.
    IdempotencyKeyInUse => ("idempotency_key_in_use", CONFLICT),
    /// The body is larger than the route allows.
    PayloadTooLarge => ("payload_too_large", PAYLOAD_TOO_LARGE),
    /// The body is not of a media type the route accepts.
    UnsupportedMediaType => ("unsupported_media_type", UNSUPPORTED_MEDIA_TYPE),
    /// A 500 whose cause went to the log only.
    Internal => ("internal_error", INTERNAL_SERVER_ERROR),
    /// The gateway got an invalid answer from the upstream service.
    BadGateway => ("bad_gateway", BAD_GATEWAY),
    /// A dependency of the service (database, pool, store) is unavailable or busy.
    ServiceUnavailable => ("service_unavailable", SERVICE_UNAVAILABLE),
    /// An internal service this one calls (auth, ratelimit, an API) is unavailable.
    UpstreamUnavailable => ("upstream_unavailable", SERVICE_UNAVAILABLE),
    /// A query ran past its statement timeout; narrow it or retry.
    QueryTimeout => ("query_timeout", SERVICE_UNAVAILABLE),
    /// The upstream service did not answer in time.
    UpstreamTimeout => ("upstream_timeout", GATEWAY_TIMEOUT),
}

impl ErrorCode {
    /// `(code, status)` for every code, for OpenAPI generators and documentation.
    pub fn registry() -> impl Iterator<Item = (&'static str, StatusCode)> {
        Self::ALL.iter().map(|c| (c.as_str(), c.status()))
    }

    /// The code whose wire string is `code`.
    pub fn from_wire(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<ErrorCode> for &str {
    fn eq(&self, other: &ErrorCode) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<ErrorCode> for serde_json::Value {
    fn eq(&self, other: &ErrorCode) -> bool {
        self.as_str() == Some(other.as_str())
    }
}

/// The codes under their historic constant names (kept so callers written
/// against `codes::*` keep compiling; the status comes from the registry).
pub mod codes {
    use super::ErrorCode;

    pub const INVALID_TOKEN: ErrorCode = ErrorCode::InvalidToken;
    pub const INVALID_PROJECT: ErrorCode = ErrorCode::InvalidProject;
    pub const INSUFFICIENT_SCOPE: ErrorCode = ErrorCode::InsufficientScope;
    pub const RATE_LIMITED: ErrorCode = ErrorCode::RateLimited;
    pub const VALIDATION_FAILED: ErrorCode = ErrorCode::ValidationFailed;
    pub const INVALID_REQUEST: ErrorCode = ErrorCode::InvalidRequest;
    pub const INVALID_JSON: ErrorCode = ErrorCode::InvalidJson;
    pub const INVALID_Q: ErrorCode = ErrorCode::InvalidQ;
    pub const INVALID_CURSOR: ErrorCode = ErrorCode::InvalidCursor;
    pub const NOT_FOUND: ErrorCode = ErrorCode::NotFound;
    pub const METHOD_NOT_ALLOWED: ErrorCode = ErrorCode::MethodNotAllowed;
    pub const CONFLICT: ErrorCode = ErrorCode::Conflict;
    pub const INVALID_STATE: ErrorCode = ErrorCode::InvalidState;
    pub const JOB_NOT_SUCCEEDED: ErrorCode = ErrorCode::JobNotSucceeded;
    pub const IDEMPOTENCY_KEY_REUSED: ErrorCode = ErrorCode::IdempotencyKeyReused;
    pub const IDEMPOTENCY_KEY_IN_USE: ErrorCode = ErrorCode::IdempotencyKeyInUse;
    pub const INSUFFICIENT_CREDITS: ErrorCode = ErrorCode::InsufficientCredits;
    pub const CAPACITY_EXCEEDED: ErrorCode = ErrorCode::CapacityExceeded;
    pub const PAYLOAD_TOO_LARGE: ErrorCode = ErrorCode::PayloadTooLarge;
    pub const UNSUPPORTED_MEDIA_TYPE: ErrorCode = ErrorCode::UnsupportedMediaType;
    pub const QUERY_TIMEOUT: ErrorCode = ErrorCode::QueryTimeout;
    pub const UPSTREAM_UNAVAILABLE: ErrorCode = ErrorCode::UpstreamUnavailable;
    pub const UPSTREAM_TIMEOUT: ErrorCode = ErrorCode::UpstreamTimeout;
    pub const BAD_GATEWAY: ErrorCode = ErrorCode::BadGateway;
    pub const SERVICE_UNAVAILABLE: ErrorCode = ErrorCode::ServiceUnavailable;
    pub const INTERNAL: ErrorCode = ErrorCode::Internal;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_snake_case_and_round_trip() {
        let mut seen = HashSet::new();
        for &code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} registered twice");
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
            assert_eq!(ErrorCode::from_wire(s), Some(code));
            assert!(code.status().is_client_error() || code.status().is_server_error());
        }
    }

    #[test]
    fn the_registry_lists_the_codes_the_design_names() {
        let registry: Vec<_> = ErrorCode::registry().collect();
        for (code, status) in [
            ("invalid_token", 401),
            ("invalid_project", 401),
            ("insufficient_scope", 403),
            ("insufficient_credits", 402),
            ("rate_limited", 429),
            ("capacity_exceeded", 429),
            ("invalid_q", 400),
            ("invalid_cursor", 400),
            ("not_found", 404),
            ("idempotency_key_reused", 409),
            ("idempotency_key_in_use", 409),
            ("job_not_succeeded", 409),
            ("query_timeout", 503),
            ("upstream_unavailable", 503),
            ("upstream_timeout", 504),
            ("internal_error", 500),
        ] {
            assert!(
                registry
                    .iter()
                    .any(|(c, s)| *c == code && s.as_u16() == status),
                "{code} {status}"
            );
        }
    }
}
