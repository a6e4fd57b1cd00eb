//! Rate-limit decisions through ratelimit's gRPC `ShouldRateLimit`, and the
//! response headers they produce.
//!
//! Headers on every response of a rate-limited request (errors included):
//! `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (epoch
//! seconds), and the IETF draft's `RateLimit-Policy: "<name>";q=<limit>;w=<window>`
//! and `RateLimit: "<name>";r=<remaining>;t=<seconds to reset>`.
//! Over the limit → 429 `rate_limited` with `Retry-After`, unless the tier is in
//! shadow mode. When ratelimit cannot answer, [`FailPolicy`] decides.

use crate::{config::FailPolicy, metrics::Metrics};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use error_envelope::{ApiError, codes};
use rpc::ratelimit::{Code, Descriptor, RateLimitRequest, rate_limit_client::RateLimitClient};
use tonic::transport::Channel;
use tracing::Instrument;

/// What ratelimit decided, ready to be written as headers.
#[derive(Debug, Clone)]
pub struct Decision {
    pub limit: u32,
    pub remaining: u32,
    pub reset_epoch: i64,
    pub retry_after: u32,
    pub window: u32,
    pub policy: String,
}

impl Decision {
    /// Writes the five rate-limit headers.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        static X_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
        static X_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
        static X_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");
        static POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
        static RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
        headers.insert(X_LIMIT.clone(), HeaderValue::from(self.limit));
        headers.insert(X_REMAINING.clone(), HeaderValue::from(self.remaining));
        headers.insert(X_RESET.clone(), HeaderValue::from(self.reset_epoch));
        let name = sanitize(&self.policy);
        if let Ok(v) =
            HeaderValue::try_from(format!("\"{name}\";q={};w={}", self.limit, self.window))
        {
            headers.insert(POLICY.clone(), v);
        }
        let t = (self.reset_epoch - unix_now()).max(0);
        if let Ok(v) = HeaderValue::try_from(format!("\"{name}\";r={};t={t}", self.remaining)) {
            headers.insert(RATELIMIT.clone(), v);
        }
    }
}

/// Policy names go inside a structured-field string: keep them to safe characters.
fn sanitize(name: &str) -> String {
    let s: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        .take(64)
        .collect();
    if s.is_empty() { "default".into() } else { s }
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The outcome for one request.
pub enum Verdict {
    /// Pass, with headers (None when the fail-open policy let it through).
    Allow(Option<Decision>),
    /// 429 (headers included in the decision).
    Refuse(Decision, ApiError),
    /// Fail-closed while ratelimit is unreachable.
    Unavailable(ApiError),
}

/// Asks ratelimit about one request of `subject` (key id or `ip:<addr>`).
pub async fn check(
    client: &mut RateLimitClient<Channel>,
    metrics: &Metrics,
    policy: FailPolicy,
    subject: String,
    tier: String,
    route_class: String,
) -> Verdict {
    let request = RateLimitRequest {
        descriptor: Some(Descriptor {
            subject,
            tier,
            route_class,
        }),
        hits: 1,
        check_only: false,
    };
    let result = client
        .should_rate_limit(request)
        .instrument(tracing::info_span!(
            "ratelimit.should_rate_limit",
            otel.kind = "client"
        ))
        .await;
    let response = match result {
        Ok(r) => r.into_inner(),
        Err(status) => {
            tracing::warn!(code = %status.code(), message = status.message(), "ratelimit unavailable");
            return match policy {
                FailPolicy::Open => {
                    Metrics::incr(&metrics.ratelimit_failures_allowed);
                    Verdict::Allow(None)
                }
                FailPolicy::Closed => {
                    Metrics::incr(&metrics.ratelimit_failures_refused);
                    Verdict::Unavailable(ApiError::service_unavailable(
                        codes::SERVICE_UNAVAILABLE,
                        "rate limiting is temporarily unavailable; retry shortly",
                    ))
                }
            };
        }
    };
    let decision = Decision {
        limit: response.limit,
        remaining: response.remaining,
        reset_epoch: response.reset_epoch_seconds,
        retry_after: response.retry_after_seconds,
        window: response.window_seconds,
        policy: response.policy_name,
    };
    if response.code == Code::OverLimit as i32 {
        if response.shadow {
            Metrics::incr(&metrics.ratelimit_shadow);
            return Verdict::Allow(Some(decision));
        }
        Metrics::incr(&metrics.ratelimit_refused);
        let retry = if decision.retry_after > 0 {
            u64::from(decision.retry_after)
        } else {
            u64::try_from(decision.reset_epoch - unix_now())
                .unwrap_or(1)
                .max(1)
        };
        let mut err = ApiError::rate_limited(retry);
        if response.degraded {
            err = err.with_log_detail("decided by ratelimit's fallback policy");
        }
        return Verdict::Refuse(decision, err);
    }
    Verdict::Allow(Some(decision))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_the_draft() {
        let d = Decision {
            limit: 600,
            remaining: 421,
            reset_epoch: unix_now() + 30,
            retry_after: 0,
            window: 60,
            policy: "starter-read".into(),
        };
        let mut h = HeaderMap::new();
        d.write_headers(&mut h);
        assert_eq!(h.get("x-ratelimit-limit").unwrap(), "600");
        assert_eq!(h.get("x-ratelimit-remaining").unwrap(), "421");
        assert_eq!(
            h.get("ratelimit-policy").unwrap(),
            "\"starter-read\";q=600;w=60"
        );
        let rl = h.get("ratelimit").unwrap().to_str().unwrap();
        assert!(rl.starts_with("\"starter-read\";r=421;t="), "{rl}");
    }

    #[test]
    fn policy_names_are_sanitized() {
        assert_eq!(sanitize("a\"b;c"), "abc");
        assert_eq!(sanitize(""), "default");
    }
}
