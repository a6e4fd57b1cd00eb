//! The generation API's own error codes (beside `error_envelope::codes`).

use actix_web::http::header;
use error_envelope::{ApiError, codes};
use serde_json::json;

/// 402: the workspace cannot cover `price`.
pub fn insufficient_credits(price: i64, available: i64) -> ApiError {
    ApiError::from_code(
        codes::INSUFFICIENT_CREDITS,
        format!("this request costs {price} credits but only {available} are available"),
    )
    .with_details(json!({
        "required": price,
        "available": available,
        "shortfall": price - available,
    }))
}

/// 429: the plan's active generation capacity is used up.
pub fn capacity_exceeded(active: i64, requested: usize, max: i32) -> ApiError {
    ApiError::from_code(
        codes::CAPACITY_EXCEEDED,
        format!(
            "{active} jobs are active and the plan allows {max} at once; wait for one to finish"
        ),
    )
    .with_details(json!({
        "active_jobs": active,
        "requested_jobs": requested,
        "max_concurrent_jobs": max,
    }))
    .with_header(header::RETRY_AFTER, header::HeaderValue::from_static("5"))
}

/// 409: `/result` of a failed or canceled job.
pub fn job_not_succeeded(status: &str) -> ApiError {
    ApiError::from_code(
        codes::JOB_NOT_SUCCEEDED,
        format!("the job is {status}; it has no result"),
    )
    .with_details(json!({ "status": status }))
}
