//! The one mapping of infrastructure errors into [`ApiError`], so handlers use
//! `?`: a missing row → 404, an exhausted or unreachable pool → 503, a query
//! past its statement timeout → 503 `query_timeout`, an unavailable internal
//! service → 503 `upstream_unavailable`, anything else → a 500 whose cause goes
//! to the log only. Each impl sits behind the feature of its crate.

use crate::ApiError;
#[cfg(any(feature = "diesel", feature = "redis", feature = "tonic"))]
use crate::ErrorCode;

impl From<serde_json::Error> for ApiError {
    /// Serialising our own values cannot fail for a caller's reason.
    fn from(e: serde_json::Error) -> Self {
        ApiError::internal(format!("json: {e}"))
    }
}

#[cfg(feature = "diesel")]
impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::Error as E;
        match e {
            E::NotFound => ApiError::not_found("resource"),
            E::DatabaseError(_, ref info)
                if info
                    .message()
                    .contains("canceling statement due to statement timeout") =>
            {
                ApiError::from_code(
                    ErrorCode::QueryTimeout,
                    "the query took too long; narrow it or retry",
                )
                .with_log_detail(e.to_string())
            }
            E::DatabaseError(diesel::result::DatabaseErrorKind::ClosedConnection, _) => {
                ApiError::database_unavailable().with_log_detail(e.to_string())
            }
            other => ApiError::internal(format!("database: {other}")),
        }
    }
}

#[cfg(feature = "diesel")]
impl<E: std::fmt::Display> From<deadpool::managed::PoolError<E>> for ApiError {
    /// Every pool failure (wait timeout, closed pool, connection refused) is a 503:
    /// the caller may retry, nothing is wrong with the request.
    fn from(e: deadpool::managed::PoolError<E>) -> Self {
        ApiError::database_unavailable().with_log_detail(format!("pool: {e}"))
    }
}

#[cfg(feature = "redis")]
impl From<redis::RedisError> for ApiError {
    fn from(e: redis::RedisError) -> Self {
        if e.is_io_error()
            || e.is_timeout()
            || e.is_connection_refusal()
            || e.is_connection_dropped()
        {
            ApiError::from_code(
                ErrorCode::ServiceUnavailable,
                "a dependency is temporarily unavailable; retry shortly",
            )
            .with_log_detail(format!("redis: {e}"))
        } else {
            ApiError::internal(format!("redis: {e}"))
        }
    }
}

#[cfg(feature = "tonic")]
impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        let detail = format!("rpc: {} {}", status.code(), status.message());
        match status.code() {
            tonic::Code::NotFound => ApiError::not_found("resource").with_log_detail(detail),
            tonic::Code::Unavailable
            | tonic::Code::DeadlineExceeded
            | tonic::Code::ResourceExhausted
            | tonic::Code::Cancelled => ApiError::from_code(
                ErrorCode::UpstreamUnavailable,
                "an internal service is temporarily unavailable; retry shortly",
            )
            .with_log_detail(detail),
            _ => ApiError::internal(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::StatusCode;

    #[cfg(feature = "diesel")]
    #[test]
    fn diesel_not_found_is_404_and_other_errors_are_opaque_500s() {
        let e = ApiError::from(diesel::result::Error::NotFound);
        assert_eq!((e.status(), e.code()), (StatusCode::NOT_FOUND, "not_found"));
        let e = ApiError::from(diesel::result::Error::RollbackTransaction);
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(e.message(), "internal error");
    }

    #[cfg(feature = "diesel")]
    #[test]
    fn an_exhausted_pool_is_503() {
        let e = ApiError::from(deadpool::managed::PoolError::<std::io::Error>::Timeout(
            deadpool::managed::TimeoutType::Wait,
        ));
        assert_eq!(
            (e.status(), e.code()),
            (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable")
        );
        assert_eq!(
            e.message(),
            "the database is busy or unavailable; retry shortly"
        );
    }

    #[cfg(feature = "redis")]
    #[test]
    fn an_unreachable_redis_is_503_and_a_bad_reply_is_500() {
        let down =
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        assert_eq!(
            ApiError::from(down).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let bad = redis::RedisError::from((redis::ErrorKind::Parse, "unexpected reply"));
        assert_eq!(
            ApiError::from(bad).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[cfg(feature = "tonic")]
    #[test]
    fn rpc_statuses_map_once() {
        let e = ApiError::from(tonic::Status::unavailable("down"));
        assert_eq!(
            (e.status(), e.code()),
            (StatusCode::SERVICE_UNAVAILABLE, "upstream_unavailable")
        );
        let e = ApiError::from(tonic::Status::not_found("no such project"));
        assert_eq!(e.status(), StatusCode::NOT_FOUND);
        let e = ApiError::from(tonic::Status::internal("secret detail"));
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !e.body(crate::Dialect::Admin, "r")
                .to_string()
                .contains("secret")
        );
    }

    #[test]
    fn serde_json_errors_are_500s() {
        let e = ApiError::from(serde_json::from_str::<u8>("x").unwrap_err());
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
