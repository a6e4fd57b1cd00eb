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
use rpc::ratelimit::{
    Code, Descriptor, RateLimitRequest, RateLimitResponse, rate_limit_client::RateLimitClient,
};
use std::{cell::RefCell, collections::HashMap, rc::Rc, sync::Arc};
use tokio::sync::oneshot;
use tonic::{Status, transport::Channel};
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
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Pass, with headers (None when the fail-open policy let it through).
    Allow(Option<Decision>),
    /// 429 (headers included in the decision).
    Refuse(Decision, ApiError),
    /// Fail-closed while ratelimit is unreachable.
    Unavailable(ApiError),
}

/// One descriptor: (subject, tier, route class).
type Key = (String, String, String);

#[derive(Default)]
struct Slot {
    /// Requests that arrived while a call for this descriptor was in flight.
    waiting: Vec<oneshot::Sender<Verdict>>,
    /// `remaining` of the last answer (batches are sent only when they should fit).
    last_remaining: u32,
}

/// Per-worker decisions with natural batching.
///
/// The first request of a descriptor calls ratelimit at once with `hits = 1`.
/// Requests of the same descriptor arriving while that call is in flight wait,
/// and are then decided together by one call with `hits = n`. GCRA spends `n`
/// atomically (all or nothing), so a batch that passes is exactly `n`
/// sequential passes, whichever gateway replicas share the key; a batch that
/// does not fit whole is re-decided one by one, so the limit stays exact. A
/// batch is only tried when the last answer left at least `n` requests, so
/// refusals of whole batches are rare. Nobody waits longer than one extra
/// round trip, and a lone request never waits at all.
pub struct Limiter {
    client: RateLimitClient<Channel>,
    policy: FailPolicy,
    coalesce: bool,
    metrics: Arc<Metrics>,
    slots: RefCell<HashMap<Key, Slot>>,
}

impl Limiter {
    pub fn new(
        client: RateLimitClient<Channel>,
        policy: FailPolicy,
        coalesce: bool,
        metrics: Arc<Metrics>,
    ) -> Rc<Self> {
        Rc::new(Self {
            client,
            policy,
            coalesce,
            metrics,
            slots: RefCell::new(HashMap::new()),
        })
    }

    /// Decides one request of `subject` (key id or `ip:<addr>`).
    pub async fn check(
        self: &Rc<Self>,
        subject: String,
        tier: String,
        route_class: String,
    ) -> Verdict {
        let span = tracing::info_span!("ratelimit.should_rate_limit", otel.kind = "client");
        if !self.coalesce {
            let answer = self
                .call(&subject, &tier, &route_class, 1)
                .instrument(span)
                .await;
            return self.verdict(answer, 0, 1);
        }
        let key = (subject, tier, route_class);
        let receiver = {
            let mut slots = self.slots.borrow_mut();
            match slots.get_mut(&key) {
                Some(slot) => {
                    let (tx, rx) = oneshot::channel();
                    slot.waiting.push(tx);
                    Some(rx)
                }
                None => {
                    slots.insert(key.clone(), Slot::default());
                    None
                }
            }
        };
        if let Some(rx) = receiver {
            return match rx.instrument(span).await {
                Ok(v) => v,
                // The batch's driver went away (worker shutting down): decide alone.
                Err(_) => {
                    let answer = self.call(&key.0, &key.1, &key.2, 1).await;
                    self.verdict(answer, 0, 1)
                }
            };
        }
        let answer = self.call(&key.0, &key.1, &key.2, 1).instrument(span).await;
        let verdict = self.verdict(answer, 0, 1);
        let remaining = match &verdict {
            Verdict::Allow(Some(d)) => d.remaining,
            _ => 0,
        };
        let more = {
            let mut slots = self.slots.borrow_mut();
            match slots.get_mut(&key) {
                Some(slot) if !slot.waiting.is_empty() => {
                    slot.last_remaining = remaining;
                    true
                }
                _ => {
                    slots.remove(&key);
                    false
                }
            }
        };
        if more {
            actix_web::rt::spawn(Rc::clone(self).drain(key));
        }
        verdict
    }

    /// Decides the waiting requests of `key` batch by batch until none is left.
    async fn drain(self: Rc<Self>, key: Key) {
        loop {
            let (waiting, last_remaining) = {
                let mut slots = self.slots.borrow_mut();
                let Some(slot) = slots.get_mut(&key) else {
                    return;
                };
                if slot.waiting.is_empty() {
                    slots.remove(&key);
                    return;
                }
                (std::mem::take(&mut slot.waiting), slot.last_remaining)
            };
            let n = waiting.len() as u32;
            let mut remaining = 0;
            // Some(answer) when the batch was decided as a whole.
            let whole = if n > 1 && last_remaining >= n {
                match self.call(&key.0, &key.1, &key.2, n).await {
                    Ok(r) if r.code == Code::OverLimit as i32 && !r.shadow => None,
                    other => Some(other),
                }
            } else {
                None
            };
            if let Some(answer) = whole {
                if let Ok(r) = &answer {
                    remaining = r.remaining;
                }
                self.metrics
                    .ratelimit_batched
                    .fetch_add(u64::from(n), std::sync::atomic::Ordering::Relaxed);
                for (i, tx) in waiting.into_iter().enumerate() {
                    let _ = tx.send(self.verdict(answer.clone(), n - 1 - i as u32, n));
                }
            } else {
                // One by one (a lone request, a batch that should not or did not fit).
                let answers = futures_util::future::join_all(
                    waiting.iter().map(|_| self.call(&key.0, &key.1, &key.2, 1)),
                )
                .await;
                for (tx, answer) in waiting.into_iter().zip(answers) {
                    let v = self.verdict(answer, 0, 1);
                    if let Verdict::Allow(Some(d)) = &v {
                        remaining = remaining.max(d.remaining);
                    }
                    let _ = tx.send(v);
                }
            }
            if let Some(slot) = self.slots.borrow_mut().get_mut(&key) {
                slot.last_remaining = remaining;
            }
        }
    }

    async fn call(
        &self,
        subject: &str,
        tier: &str,
        class: &str,
        hits: u32,
    ) -> Result<RateLimitResponse, Status> {
        let request = RateLimitRequest {
            descriptor: Some(Descriptor {
                subject: subject.to_owned(),
                tier: tier.to_owned(),
                route_class: class.to_owned(),
            }),
            hits,
            check_only: false,
            // Every request of the gateway costs 1, so a batch of n covers n requests.
            requests: hits,
        };
        Metrics::incr(&self.metrics.ratelimit_calls);
        self.client
            .clone()
            .should_rate_limit(request)
            .await
            .map(tonic::Response::into_inner)
    }

    /// The verdict of one request in an answer for `batch` hits; `extra` is what
    /// this request sees remaining beyond the batch's answer (requests decided after it).
    fn verdict(
        &self,
        answer: Result<RateLimitResponse, Status>,
        extra: u32,
        batch: u32,
    ) -> Verdict {
        let metrics = &self.metrics;
        let response = match answer {
            Ok(r) => r,
            Err(status) => {
                tracing::warn!(code = %status.code(), message = status.message(), "ratelimit unavailable");
                return match self.policy {
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
            remaining: response.remaining.saturating_add(extra),
            reset_epoch: response.reset_epoch_seconds,
            retry_after: response.retry_after_seconds,
            window: response.window_seconds,
            policy: response.policy_name,
        };
        // Shadow mode: over the limit but not enforced (ratelimit answers OK or
        // OVER_LIMIT with `shadow` set; either way the request passes).
        if response.shadow {
            Metrics::incr(&metrics.ratelimit_shadow);
            return Verdict::Allow(Some(decision));
        }
        if response.code == Code::OverLimit as i32 {
            debug_assert_eq!(batch, 1, "refused batches are re-decided one by one");
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
