//! The decision engine: policy lookup, one Lua call to Redis bounded by
//! `timeout_ms`, the failure policy, a short circuit breaker, usage reads.
//!
//! Key layout (every key of a subject shares the Redis Cluster hash tag `{<subject>}`,
//! so the script's three keys always live in one slot):
//!
//! - `<prefix>:{<subject>}:<class>`: GCRA bucket (TAT in µs as a string), `PX` = time until full.
//! - `<prefix>:{<subject>}:usage:d:<YYYY-MM-DD>`: hash `requests`, `refused`, `shadowed`; TTL `usage_day_ttl_days`.
//! - `<prefix>:{<subject>}:usage:m:<YYYY-MM>`: the same per UTC month; TTL `usage_month_ttl_days`.
//!
//! Redis failures: every call is wrapped in `tokio::time::timeout`; the
//! connection manager reconnects in the background, never on the caller's
//! time. After `breaker_failures` failures in a row the breaker skips Redis for
//! `breaker_open_ms`, so an outage costs each decision microseconds, not the
//! timeout; then calls try Redis again and recover by themselves. Under
//! `fail_open` every Redis answer is mirrored into the in-process limiter, so a
//! fallback decision continues from the last state this replica saw.

use crate::config::{Config, FailurePolicy};
use crate::fallback::{Fallback, now_us};
use crate::gcra::{self, RawDecision};
use crate::metrics::{FallbackReason, Metrics, Outcome, Source};
use crate::policy::{Policy, PolicyError, PolicyTable};
use crate::store::RedisConn;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// A validated decision request.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub subject: &'a str,
    pub tier: &'a str,
    pub route_class: &'a str,
    /// Cost; 0 counts as 1 unless `check_only` (then 0 only reports the state: always OK).
    pub hits: u32,
    pub check_only: bool,
    /// Client requests this decision covers (usage counting); 0 counts as 1.
    pub requests: u32,
    /// Only count `requests` (spend nothing).
    pub report_only: bool,
}

/// A decision, ready for the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// False = over limit (and enforced).
    pub allowed: bool,
    /// Over limit, but the tier is in shadow mode: allowed anyway.
    pub shadow: bool,
    /// Decided by the in-process fallback (Redis unavailable).
    pub degraded: bool,
    pub limit: u32,
    pub burst: u32,
    pub remaining: u32,
    pub reset_epoch_seconds: i64,
    pub retry_after_seconds: u32,
    pub window_seconds: u32,
    pub policy_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error("{0}")]
    Invalid(String),
    /// Redis unavailable and the failure policy is `fail_closed`.
    #[error("rate-limit store unavailable")]
    Unavailable,
}

/// Usage counters of one subject.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub day: String,
    pub month: String,
    pub requests_today: u64,
    pub refused_today: u64,
    pub requests_this_month: u64,
    pub refused_this_month: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("redis url: {0}")]
    Redis(#[from] redis::RedisError),
}

pub struct Limiter {
    redis: RedisConn,
    script: redis::Script,
    policies: PolicyTable,
    fallback: Fallback,
    metrics: Arc<Metrics>,
    prefix: String,
    timeout: Duration,
    failure_policy: FailurePolicy,
    breaker_open_us: u64,
    breaker_until_us: AtomicU64,
    breaker_failures: u32,
    consecutive_failures: AtomicU32,
    /// False after a failure until the next success (to log and reset the fallback once).
    healthy: AtomicBool,
    log_interval_us: u64,
    last_log_us: AtomicU64,
    day_ttl_s: u64,
    month_ttl_s: u64,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("prefix", &self.prefix)
            .field("failure_policy", &self.failure_policy)
            .finish_non_exhaustive()
    }
}

fn day_and_month(day: Option<time::Date>) -> (String, String) {
    let d = day.unwrap_or_else(|| time::OffsetDateTime::now_utc().date());
    let month = format!("{:04}-{:02}", d.year(), u8::from(d.month()));
    (format!("{month}-{:02}", d.day()), month)
}

/// Rejects subjects that could break the key layout (hash tag braces, spaces) or are absurdly long.
pub fn validate_subject(subject: &str) -> Result<(), DecideError> {
    if subject.is_empty() || subject.len() > 256 {
        return Err(DecideError::Invalid(
            "descriptor.subject must be 1-256 bytes".into(),
        ));
    }
    if subject
        .chars()
        .any(|c| c == '{' || c == '}' || c.is_whitespace() || c.is_control())
    {
        return Err(DecideError::Invalid(
            "descriptor.subject must not contain braces, spaces or control characters".into(),
        ));
    }
    Ok(())
}

impl Limiter {
    pub fn new(
        config: &Config,
        metrics: Arc<Metrics>,
        policies: PolicyTable,
    ) -> Result<Self, BuildError> {
        Ok(Self {
            redis: RedisConn::open(config.redis.url.expose(), config.redis.cluster)?,
            script: redis::Script::new(gcra::LUA),
            policies,
            fallback: Fallback::new(config.fallback_max_entries),
            metrics,
            prefix: config.prefix.clone(),
            timeout: Duration::from_millis(config.timeout_ms.max(1)),
            failure_policy: config.failure_policy,
            breaker_open_us: config.breaker_open_ms.saturating_mul(1000),
            breaker_until_us: AtomicU64::new(0),
            breaker_failures: config.breaker_failures.max(1),
            consecutive_failures: AtomicU32::new(0),
            healthy: AtomicBool::new(true),
            log_interval_us: config
                .degraded_log_interval_seconds
                .saturating_mul(1_000_000),
            last_log_us: AtomicU64::new(0),
            day_ttl_s: config.usage_day_ttl_days.saturating_mul(86_400).max(1),
            month_ttl_s: config.usage_month_ttl_days.saturating_mul(86_400).max(1),
        })
    }

    pub fn policies(&self) -> &PolicyTable {
        &self.policies
    }

    pub fn failure_policy(&self) -> FailurePolicy {
        self.failure_policy
    }

    fn bucket_key(&self, subject: &str, class: &str) -> String {
        format!("{}:{{{subject}}}:{class}", self.prefix)
    }

    fn usage_keys(&self, subject: &str, day: &str, month: &str) -> (String, String) {
        (
            format!("{}:{{{subject}}}:usage:d:{day}", self.prefix),
            format!("{}:{{{subject}}}:usage:m:{month}", self.prefix),
        )
    }

    /// Decides one request: Redis when it answers within the timeout, else the failure policy.
    pub async fn decide(&self, req: &Request<'_>) -> Result<Decision, DecideError> {
        let out = self.decide_inner(req).await;
        if let Err(DecideError::Invalid(_)) = out {
            self.metrics.invalid();
        }
        out
    }

    async fn decide_inner(&self, req: &Request<'_>) -> Result<Decision, DecideError> {
        validate_subject(req.subject)?;
        let policy = self.policies.resolve(req.tier, req.route_class);
        // The contract: 0 is treated as 1 unless check_only is set; a report
        // (requests let pass on leased tokens) spends nothing.
        let hits = u64::from(if req.report_only {
            0
        } else if req.check_only {
            req.hits
        } else {
            req.hits.max(1)
        });
        if hits > policy.capacity() {
            return Err(DecideError::Invalid(format!(
                "hits {hits} exceeds the capacity {} of policy {}; such a request can never pass",
                policy.capacity(),
                policy.name
            )));
        }
        let key = self.bucket_key(req.subject, &policy.class);

        let reason = if now_us() < self.breaker_until_us.load(Relaxed) {
            FallbackReason::CircuitOpen
        } else {
            let started = Instant::now();
            match tokio::time::timeout(self.timeout, self.eval(&key, req, policy, hits)).await {
                Ok(Ok(raw)) => {
                    self.metrics.redis_ok(started.elapsed());
                    self.consecutive_failures.store(0, Relaxed);
                    if !self.healthy.swap(true, Relaxed) {
                        tracing::info!("redis available again; decisions use redis");
                    }
                    if self.failure_policy == FailurePolicy::FailOpen {
                        // Mirror Redis's answer, so a fallback decision continues from it.
                        self.fallback.observe(&key, raw.tat_us, raw.now_us);
                    }
                    return Ok(self.finish(policy, &raw, false));
                }
                Ok(Err(e)) => {
                    self.metrics.redis_error(false);
                    self.trip(Some(&e));
                    FallbackReason::Error
                }
                Err(_) => {
                    self.metrics.redis_error(true);
                    self.trip(None);
                    FallbackReason::Timeout
                }
            }
        };
        self.metrics.fallback(reason);
        self.log_degraded(reason);
        match self.failure_policy {
            FailurePolicy::FailClosed => {
                self.metrics.unavailable(policy.tier_index);
                Err(DecideError::Unavailable)
            }
            FailurePolicy::FailOpen => {
                let raw = self.fallback.decide(
                    &key,
                    policy.interval_us(),
                    policy.capacity(),
                    hits,
                    req.check_only,
                );
                Ok(self.finish(policy, &raw, true))
            }
        }
    }

    /// Counts a failure; `breaker_failures` in a row open the breaker for `breaker_open_ms`.
    fn trip(&self, err: Option<&redis::RedisError>) {
        let failures = self
            .consecutive_failures
            .fetch_add(1, Relaxed)
            .saturating_add(1);
        if failures >= self.breaker_failures {
            self.breaker_until_us
                .store(now_us().saturating_add(self.breaker_open_us), Relaxed);
        }
        if self.healthy.swap(false, Relaxed) {
            match err {
                Some(e) => {
                    tracing::warn!(error = %e, policy = self.failure_policy.as_str(), "redis call failed")
                }
                None => tracing::warn!(
                    timeout_ms = self.timeout.as_millis(),
                    policy = self.failure_policy.as_str(),
                    "redis call timed out"
                ),
            }
        }
    }

    fn log_degraded(&self, reason: FallbackReason) {
        let now = now_us();
        let last = self.last_log_us.load(Relaxed);
        if now.saturating_sub(last) >= self.log_interval_us
            && self
                .last_log_us
                .compare_exchange(last, now, Relaxed, Relaxed)
                .is_ok()
        {
            tracing::warn!(
                ?reason,
                policy = self.failure_policy.as_str(),
                fallback_total = self.metrics.fallback_total(),
                "redis unavailable: deciding without it (logged once per interval)"
            );
        }
    }

    fn finish(&self, policy: &Policy, raw: &RawDecision, degraded: bool) -> Decision {
        let over = !raw.allowed;
        let outcome = match (over, policy.shadow) {
            (false, _) => Outcome::Ok,
            (true, false) => Outcome::OverLimit,
            (true, true) => Outcome::ShadowOverLimit,
        };
        let source = if degraded {
            Source::Fallback
        } else {
            Source::Redis
        };
        self.metrics.decision(policy.tier_index, outcome, source);
        Decision {
            allowed: !over || policy.shadow,
            shadow: over && policy.shadow,
            degraded,
            limit: policy.limit,
            burst: policy.burst,
            // Capped at `limit` so headers stay consistent (Remaining ≤ Limit, r ≤ q);
            // the burst headroom above it is real but not advertised.
            remaining: u32::try_from(raw.remaining)
                .unwrap_or(u32::MAX)
                .min(policy.limit),
            reset_epoch_seconds: raw.reset_epoch_seconds(),
            retry_after_seconds: raw.retry_after_seconds(),
            window_seconds: policy.window_seconds,
            policy_name: policy.name.clone(),
        }
    }

    /// One EVALSHA (SCRIPT LOAD + retry on NOSCRIPT, e.g. after a Redis restart).
    async fn eval(
        &self,
        key: &str,
        req: &Request<'_>,
        policy: &Policy,
        hits: u64,
    ) -> redis::RedisResult<RawDecision> {
        let (day, month) = day_and_month(None);
        let (day_key, month_key) = self.usage_keys(req.subject, &day, &month);
        let mut con = self.redis.clone();
        let reply: Vec<i64> = self
            .script
            .key(key)
            .key(day_key)
            .key(month_key)
            .arg(policy.interval_us())
            .arg(policy.capacity())
            .arg(hits)
            .arg(u8::from(req.check_only))
            .arg(u8::from(policy.shadow))
            .arg(self.day_ttl_s)
            .arg(self.month_ttl_s)
            .arg(req.requests.max(1))
            .invoke_async(&mut con)
            .await?;
        RawDecision::from_reply(&reply).ok_or_else(|| {
            redis::RedisError::from((redis::ErrorKind::Parse, "unexpected script reply"))
        })
    }

    /// Usage of `subject` on `day` (UTC, default today) and in its month: one pipelined round trip.
    pub async fn usage(
        &self,
        subject: &str,
        day: Option<time::Date>,
    ) -> Result<Usage, DecideError> {
        validate_subject(subject)?;
        let (day, month) = day_and_month(day);
        let (day_key, month_key) = self.usage_keys(subject, &day, &month);
        let mut con = self.redis.clone();
        let mut pipe = redis::pipe();
        pipe.hgetall(&day_key).hgetall(&month_key);
        let fut = pipe.query_async::<(HashMap<String, u64>, HashMap<String, u64>)>(&mut con);
        let res = tokio::time::timeout(self.timeout.max(Duration::from_millis(500)), fut).await;
        let (d, m) = match res {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                self.metrics.usage(false);
                tracing::warn!(error = %e, "usage read failed");
                return Err(DecideError::Unavailable);
            }
            Err(_) => {
                self.metrics.usage(false);
                return Err(DecideError::Unavailable);
            }
        };
        self.metrics.usage(true);
        let get = |h: &HashMap<String, u64>, f: &str| h.get(f).copied().unwrap_or(0);
        Ok(Usage {
            requests_today: get(&d, "requests"),
            refused_today: get(&d, "refused"),
            requests_this_month: get(&m, "requests"),
            refused_this_month: get(&m, "refused"),
            day,
            month,
        })
    }

    /// `PING` within `wait` (readiness).
    pub async fn redis_ready(&self, wait: Duration) -> bool {
        let mut con = self.redis.clone();
        let cmd = redis::cmd("PING");
        matches!(
            tokio::time::timeout(wait, cmd.query_async::<String>(&mut con)).await,
            Ok(Ok(_))
        )
    }
}
