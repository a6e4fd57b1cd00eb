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
use bytes::BytesMut;
use error_envelope::{ApiError, ErrorCode};
use rpc::ratelimit::{
    Code, Descriptor, RateLimitRequest, RateLimitResponse, rate_limit_client::RateLimitClient,
};
use std::{
    cell::RefCell,
    collections::HashMap,
    rc::Rc,
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::oneshot;
use tonic::{Status, transport::Channel};
use tracing::Instrument;

/// What ratelimit decided for one request, ready to be written as headers.
#[derive(Debug, Clone)]
pub struct Decision {
    pub remaining: u32,
    /// The answer this decision came from (shared by every request it covers).
    pub answer: Arc<Answer>,
}

/// One `ShouldRateLimit` answer, with the header values that do not change
/// from request to request rendered once.
#[derive(Debug)]
pub struct Answer {
    pub limit: u32,
    pub reset_epoch: i64,
    pub retry_after: u32,
    pub window: u32,
    /// Policy name, sanitized for a structured-field string.
    name: Box<str>,
    limit_value: HeaderValue,
    reset_value: HeaderValue,
    policy_value: HeaderValue,
}

impl Answer {
    pub fn new(limit: u32, reset_epoch: i64, retry_after: u32, window: u32, policy: &str) -> Self {
        let name = sanitize(policy);
        let policy_value = HeaderValue::try_from(format!("\"{name}\";q={limit};w={window}"))
            .unwrap_or_else(|_| HeaderValue::from_static("\"default\""));
        Self {
            limit,
            reset_epoch,
            retry_after,
            window,
            name: name.into_boxed_str(),
            limit_value: HeaderValue::from(limit),
            reset_value: HeaderValue::from(reset_epoch),
            policy_value,
        }
    }
}

impl Decision {
    /// Writes the five rate-limit headers.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        static X_LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
        static X_REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
        static X_RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");
        static POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
        static RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
        let a = &*self.answer;
        headers.insert(X_LIMIT.clone(), a.limit_value.clone());
        headers.insert(X_REMAINING.clone(), HeaderValue::from(self.remaining));
        headers.insert(X_RESET.clone(), a.reset_value.clone());
        headers.insert(POLICY.clone(), a.policy_value.clone());
        // "<name>";r=<remaining>;t=<seconds to reset>
        let t = (a.reset_epoch - unix_now()).max(0);
        let mut value = BytesMut::with_capacity(a.name.len() + 32);
        value.extend_from_slice(b"\"");
        value.extend_from_slice(a.name.as_bytes());
        value.extend_from_slice(b"\";r=");
        value.extend_from_slice(itoa::Buffer::new().format(self.remaining).as_bytes());
        value.extend_from_slice(b";t=");
        value.extend_from_slice(itoa::Buffer::new().format(t).as_bytes());
        if let Ok(v) = HeaderValue::from_maybe_shared(value.freeze()) {
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
type Key = (Arc<str>, Arc<str>, Arc<str>);

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
    lease_max: u32,
    metrics: Arc<Metrics>,
    slots: RefCell<HashMap<Key, Slot>>,
    leases: RefCell<HashMap<Key, Lease>>,
}

/// How long leased tokens may be spent locally.
pub const LEASE_TTL: Duration = Duration::from_secs(1);
/// Below this many remaining requests a key is decided exactly (no lease).
pub const LEASE_MIN_REMAINING: u32 = 256;
/// A lease is at most this fraction of what remains (1/8).
const LEASE_SHARE: u32 = 8;

/// Tokens of one key taken from ratelimit ahead of time and spent locally.
///
/// The tokens are spent in Redis when leased, so no replica ever lets more than
/// the limit pass; what a lease can cost is the opposite: while one worker holds
/// unspent tokens another may be refused, and tokens a lease leaves unspent
/// expire with it. Both are bounded: leases are granted only for keys with at
/// least [`LEASE_MIN_REMAINING`] left, are at most 1/8 of what remains and at
/// most `lease_max`, and a lease that expires unspent halves the next one.
struct Lease {
    tokens: u32,
    expires: Instant,
    /// The answer that granted the lease (its `remaining` excludes the lease).
    decision: Decision,
    /// Size of the next lease (doubles when one is used up in time).
    next: u32,
    /// Requests passed on leases and not yet reported to ratelimit (usage counts).
    unreported: u32,
}

impl Lease {
    /// Spends one token, if the lease still holds one.
    fn spend(&mut self, now: Instant) -> Option<Verdict> {
        if self.tokens == 0 || now >= self.expires {
            return None;
        }
        self.tokens -= 1;
        self.unreported += 1;
        let mut decision = self.decision.clone();
        decision.remaining = decision
            .remaining
            .saturating_add(self.tokens)
            .min(decision.answer.limit);
        Some(Verdict::Allow(Some(decision)))
    }
}

impl Limiter {
    pub fn new(
        client: RateLimitClient<Channel>,
        policy: FailPolicy,
        coalesce: bool,
        lease_max: u32,
        metrics: Arc<Metrics>,
    ) -> Rc<Self> {
        let limiter = Rc::new(Self {
            client,
            policy,
            coalesce,
            lease_max,
            metrics,
            slots: RefCell::new(HashMap::new()),
            leases: RefCell::new(HashMap::new()),
        });
        if lease_max > 0 {
            actix_web::rt::spawn(sweep_leases(Rc::downgrade(&limiter)));
        }
        limiter
    }

    /// The lease size to ask for with the next call of `key` (0: decide exactly).
    fn lease_wanted(&self, key: &Key, now: Instant) -> u32 {
        let mut leases = self.leases.borrow_mut();
        let Some(lease) = leases.get_mut(key) else {
            return 0;
        };
        if lease.tokens > 0 && now >= lease.expires {
            // Expired unspent: the key is slower than the lease assumed.
            lease.next = (lease.next / 2).max(1);
        } else if lease.tokens == 0 && now < lease.expires {
            lease.next = lease.next.saturating_mul(2).min(self.lease_max);
        }
        lease.tokens = 0;
        let remaining = lease.decision.remaining;
        if remaining < LEASE_MIN_REMAINING {
            return 0;
        }
        lease.next.min(self.lease_max).min(remaining / LEASE_SHARE)
    }

    /// Requests passed on leases of `key` and not yet reported (taken: the caller reports them).
    fn take_unreported(&self, key: &Key) -> u32 {
        self.leases
            .borrow_mut()
            .get_mut(key)
            .map_or(0, |l| std::mem::take(&mut l.unreported))
    }

    fn give_back_unreported(&self, key: &Key, n: u32) {
        if n > 0
            && let Some(l) = self.leases.borrow_mut().get_mut(key)
        {
            l.unreported += n;
        }
    }

    /// Records an answer for `key`: a granted lease of `granted` tokens, or
    /// none, with the answer's state for the next lease's size.
    fn record(&self, key: &Key, decision: &Decision, granted: u32, now: Instant) {
        let mut leases = self.leases.borrow_mut();
        let lease = leases.entry(key.clone()).or_insert_with(|| Lease {
            tokens: 0,
            expires: now,
            decision: decision.clone(),
            next: 8.min(self.lease_max),
            unreported: 0,
        });
        lease.decision = decision.clone();
        lease.tokens = granted;
        lease.expires = now + LEASE_TTL;
    }

    /// The first request of a key without a lease: asks for `1 + lease`, and
    /// falls back to an exact single decision when that does not fit.
    async fn decide_leasing(&self, key: &Key) -> Verdict {
        let now = Instant::now();
        let want = self.lease_wanted(key, now);
        let unreported = self.take_unreported(key);
        if want > 0 {
            let answer = self
                .call_counting(&key.0, &key.1, &key.2, 1 + want, 1 + unreported)
                .await;
            match answer {
                Ok(r) if r.code != Code::OverLimit as i32 => {
                    self.metrics
                        .ratelimit_leased
                        .fetch_add(u64::from(want), std::sync::atomic::Ordering::Relaxed);
                    let verdict = self.verdict(Ok(r), want, 1);
                    if let Verdict::Allow(Some(d)) = &verdict {
                        let mut server = d.clone();
                        server.remaining = server.remaining.saturating_sub(want);
                        self.record(key, &server, want, now);
                    }
                    return verdict;
                }
                Ok(_) => {}
                Err(status) => {
                    self.give_back_unreported(key, unreported);
                    return self.verdict(Err(status), 0, 1);
                }
            }
            // Refused as a whole (the key is near its limit): this request alone, exactly.
            self.give_back_unreported(key, unreported);
            let answer = self.call(&key.0, &key.1, &key.2, 1).await;
            return self.verdict_recording(key, answer, now);
        }
        let answer = self
            .call_counting(&key.0, &key.1, &key.2, 1, 1 + unreported)
            .await;
        if answer.is_err() {
            self.give_back_unreported(key, unreported);
        }
        self.verdict_recording(key, answer, now)
    }

    /// Lets pass as many of `waiting` as the key's lease covers; returns the rest.
    fn serve_from_lease(
        &self,
        key: &Key,
        waiting: Vec<oneshot::Sender<Verdict>>,
    ) -> Vec<oneshot::Sender<Verdict>> {
        if self.lease_max == 0 {
            return waiting;
        }
        let now = Instant::now();
        let mut leases = self.leases.borrow_mut();
        let Some(lease) = leases.get_mut(key) else {
            return waiting;
        };
        let mut rest = Vec::new();
        for tx in waiting {
            match lease.spend(now) {
                Some(verdict) => {
                    Metrics::incr(&self.metrics.ratelimit_lease_hits);
                    let _ = tx.send(verdict);
                }
                None => rest.push(tx),
            }
        }
        rest
    }

    /// The verdict of a single decision, remembered for the next lease's size.
    fn verdict_recording(
        &self,
        key: &Key,
        answer: Result<RateLimitResponse, Status>,
        now: Instant,
    ) -> Verdict {
        let verdict = self.verdict(answer, 0, 1);
        if self.lease_max > 0
            && let Verdict::Allow(Some(d)) | Verdict::Refuse(d, _) = &verdict
        {
            self.record(key, d, 0, now);
        }
        verdict
    }

    /// Decides one request of `subject` (key id or `ip:<addr>`).
    pub async fn check(
        self: &Rc<Self>,
        subject: Arc<str>,
        tier: Arc<str>,
        route_class: Arc<str>,
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
        if self.lease_max > 0
            && let Some(verdict) = self
                .leases
                .borrow_mut()
                .get_mut(&key)
                .and_then(|l| l.spend(Instant::now()))
        {
            Metrics::incr(&self.metrics.ratelimit_lease_hits);
            return verdict;
        }
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
        let verdict = if self.lease_max > 0 {
            self.decide_leasing(&key).instrument(span).await
        } else {
            let answer = self.call(&key.0, &key.1, &key.2, 1).instrument(span).await;
            self.verdict(answer, 0, 1)
        };
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
            // Those that waited for a call that brought a lease pass on it.
            let waiting = self.serve_from_lease(&key, waiting);
            if waiting.is_empty() {
                continue;
            }
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
        // Every request of the gateway costs 1, so a batch of n covers n requests.
        self.call_counting(subject, tier, class, hits, hits).await
    }

    /// One `ShouldRateLimit` call spending `hits` and covering `requests` client requests.
    async fn call_counting(
        &self,
        subject: &str,
        tier: &str,
        class: &str,
        hits: u32,
        requests: u32,
    ) -> Result<RateLimitResponse, Status> {
        let request = RateLimitRequest {
            descriptor: Some(Descriptor {
                subject: subject.to_owned(),
                tier: tier.to_owned(),
                route_class: class.to_owned(),
            }),
            hits,
            check_only: false,
            requests,
            // hits = 0: only reports requests let pass on leased tokens.
            report_only: hits == 0,
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
                            ErrorCode::ServiceUnavailable,
                            "rate limiting is temporarily unavailable; retry shortly",
                        ))
                    }
                };
            }
        };
        let decision = Decision {
            // Never above the limit (ratelimit caps its own answer so; the
            // tokens this request sees beyond it must not lift it over).
            remaining: response.remaining.saturating_add(extra).min(response.limit),
            answer: Arc::new(Answer::new(
                response.limit,
                response.reset_epoch_seconds,
                response.retry_after_seconds,
                response.window_seconds,
                &response.policy_name,
            )),
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
            let retry = if decision.answer.retry_after > 0 {
                u64::from(decision.answer.retry_after)
            } else {
                u64::try_from(decision.answer.reset_epoch - unix_now())
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

/// Once a second: reports the requests that passed on expired leases (usage
/// counts stay complete when a key goes quiet) and forgets those leases.
async fn sweep_leases(limiter: std::rc::Weak<Limiter>) {
    let mut tick = tokio::time::interval(LEASE_TTL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let Some(limiter) = limiter.upgrade() else {
            return;
        };
        let now = Instant::now();
        let mut reports = Vec::new();
        limiter.leases.borrow_mut().retain(|key, lease| {
            let stale = now >= lease.expires + LEASE_TTL;
            if stale && lease.unreported > 0 {
                reports.push((key.clone(), lease.unreported));
            }
            !stale
        });
        for (key, requests) in reports {
            // A report: their tokens were spent when the lease was taken.
            if let Err(status) = limiter
                .call_counting(&key.0, &key.1, &key.2, 0, requests)
                .await
            {
                tracing::warn!(code = %status.code(), requests, "could not report leased requests");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_follow_the_draft() {
        let d = Decision {
            remaining: 421,
            answer: Arc::new(Answer::new(600, unix_now() + 30, 0, 60, "starter-read")),
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
