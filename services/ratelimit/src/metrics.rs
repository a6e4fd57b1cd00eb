//! Prometheus metrics, hand-written in the text exposition format (lock-free atomics,
//! no extra crate). Served at `GET /metrics` on the HTTP listener.
//!
//! - `ratelimit_decisions_total{tier,outcome,source}`: outcome `ok|over_limit|shadow_over_limit|unavailable`,
//!   source `redis|fallback|none` (`none` = refused with UNAVAILABLE under `fail_closed`).
//! - `ratelimit_redis_duration_seconds`: histogram of the decision script's round trip.
//! - `ratelimit_redis_errors_total{kind="timeout|error"}`.
//! - `ratelimit_fallback_total{reason="timeout|error|circuit_open"}`: decisions taken without Redis.
//! - `ratelimit_redis_up`: 1 while the last Redis call succeeded.
//! - `ratelimit_invalid_requests_total`, `ratelimit_usage_requests_total{result="ok|error"}`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Ok,
    OverLimit,
    ShadowOverLimit,
}

#[derive(Debug, Clone, Copy)]
pub enum Source {
    Redis,
    Fallback,
}

#[derive(Debug, Clone, Copy)]
pub enum FallbackReason {
    Timeout,
    Error,
    CircuitOpen,
}

const BUCKETS: [f64; 11] = [
    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];
/// Decision slots per tier: 3 outcomes × 2 sources + unavailable.
const SLOTS: usize = 7;

#[derive(Debug)]
pub struct Metrics {
    tiers: Vec<String>,
    decisions: Vec<AtomicU64>,
    redis_buckets: [AtomicU64; BUCKETS.len()],
    redis_count: AtomicU64,
    redis_sum_us: AtomicU64,
    redis_errors: [AtomicU64; 2],
    fallback: [AtomicU64; 3],
    redis_up: AtomicBool,
    invalid: AtomicU64,
    usage: [AtomicU64; 2],
}

fn counters<const N: usize>() -> [AtomicU64; N] {
    std::array::from_fn(|_| AtomicU64::new(0))
}

impl Metrics {
    pub fn new(tiers: &[String]) -> Self {
        Self {
            tiers: tiers.to_vec(),
            decisions: (0..tiers.len() * SLOTS)
                .map(|_| AtomicU64::new(0))
                .collect(),
            redis_buckets: counters(),
            redis_count: AtomicU64::new(0),
            redis_sum_us: AtomicU64::new(0),
            redis_errors: counters(),
            fallback: counters(),
            redis_up: AtomicBool::new(false),
            invalid: AtomicU64::new(0),
            usage: counters(),
        }
    }

    pub fn decision(&self, tier: usize, outcome: Outcome, source: Source) {
        let slot = outcome as usize * 2 + source as usize;
        if let Some(c) = self.decisions.get(tier * SLOTS + slot) {
            c.fetch_add(1, Relaxed);
        }
    }

    pub fn unavailable(&self, tier: usize) {
        if let Some(c) = self.decisions.get(tier * SLOTS + SLOTS - 1) {
            c.fetch_add(1, Relaxed);
        }
    }

    pub fn redis_ok(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (b, c) in BUCKETS.iter().zip(&self.redis_buckets) {
            if secs <= *b {
                c.fetch_add(1, Relaxed);
            }
        }
        self.redis_count.fetch_add(1, Relaxed);
        self.redis_sum_us
            .fetch_add(u64::try_from(took.as_micros()).unwrap_or(u64::MAX), Relaxed);
        self.redis_up.store(true, Relaxed);
    }

    pub fn redis_error(&self, timeout: bool) {
        self.redis_errors[usize::from(!timeout)].fetch_add(1, Relaxed);
        self.redis_up.store(false, Relaxed);
    }

    pub fn fallback(&self, reason: FallbackReason) {
        self.fallback[reason as usize].fetch_add(1, Relaxed);
    }

    pub fn invalid(&self) {
        self.invalid.fetch_add(1, Relaxed);
    }

    pub fn usage(&self, ok: bool) {
        self.usage[usize::from(!ok)].fetch_add(1, Relaxed);
    }

    /// Total fallback decisions (tests and logs).
    pub fn fallback_total(&self) -> u64 {
        self.fallback.iter().map(|c| c.load(Relaxed)).sum()
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(4096);
        let _ = self.write(&mut s);
        s
    }

    fn write(&self, s: &mut String) -> std::fmt::Result {
        writeln!(
            s,
            "# HELP ratelimit_decisions_total Rate-limit decisions by tier, outcome and source."
        )?;
        writeln!(s, "# TYPE ratelimit_decisions_total counter")?;
        let labels = [
            ("ok", "redis"),
            ("ok", "fallback"),
            ("over_limit", "redis"),
            ("over_limit", "fallback"),
            ("shadow_over_limit", "redis"),
            ("shadow_over_limit", "fallback"),
            ("unavailable", "none"),
        ];
        for (ti, tier) in self.tiers.iter().enumerate() {
            for (slot, (outcome, source)) in labels.iter().enumerate() {
                let v = self
                    .decisions
                    .get(ti * SLOTS + slot)
                    .map_or(0, |c| c.load(Relaxed));
                writeln!(
                    s,
                    "ratelimit_decisions_total{{tier=\"{tier}\",outcome=\"{outcome}\",source=\"{source}\"}} {v}"
                )?;
            }
        }
        writeln!(
            s,
            "# HELP ratelimit_redis_duration_seconds Round trip of the decision script."
        )?;
        writeln!(s, "# TYPE ratelimit_redis_duration_seconds histogram")?;
        for (b, c) in BUCKETS.iter().zip(&self.redis_buckets) {
            writeln!(
                s,
                "ratelimit_redis_duration_seconds_bucket{{le=\"{b}\"}} {}",
                c.load(Relaxed)
            )?;
        }
        let count = self.redis_count.load(Relaxed);
        writeln!(
            s,
            "ratelimit_redis_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        )?;
        #[expect(clippy::cast_precision_loss, reason = "a metric sum")]
        let sum = self.redis_sum_us.load(Relaxed) as f64 / 1e6;
        writeln!(s, "ratelimit_redis_duration_seconds_sum {sum}")?;
        writeln!(s, "ratelimit_redis_duration_seconds_count {count}")?;
        writeln!(
            s,
            "# HELP ratelimit_redis_errors_total Failed or timed-out Redis calls."
        )?;
        writeln!(s, "# TYPE ratelimit_redis_errors_total counter")?;
        for (i, kind) in ["timeout", "error"].iter().enumerate() {
            writeln!(
                s,
                "ratelimit_redis_errors_total{{kind=\"{kind}\"}} {}",
                self.redis_errors[i].load(Relaxed)
            )?;
        }
        writeln!(
            s,
            "# HELP ratelimit_fallback_total Decisions taken without Redis (fail_open in-process limiter or fail_closed refusal)."
        )?;
        writeln!(s, "# TYPE ratelimit_fallback_total counter")?;
        for (i, reason) in ["timeout", "error", "circuit_open"].iter().enumerate() {
            writeln!(
                s,
                "ratelimit_fallback_total{{reason=\"{reason}\"}} {}",
                self.fallback[i].load(Relaxed)
            )?;
        }
        writeln!(
            s,
            "# HELP ratelimit_redis_up 1 while the last Redis call succeeded."
        )?;
        writeln!(s, "# TYPE ratelimit_redis_up gauge")?;
        writeln!(
            s,
            "ratelimit_redis_up {}",
            u8::from(self.redis_up.load(Relaxed))
        )?;
        writeln!(
            s,
            "# HELP ratelimit_invalid_requests_total Requests refused with INVALID_ARGUMENT."
        )?;
        writeln!(s, "# TYPE ratelimit_invalid_requests_total counter")?;
        writeln!(
            s,
            "ratelimit_invalid_requests_total {}",
            self.invalid.load(Relaxed)
        )?;
        writeln!(s, "# HELP ratelimit_usage_requests_total GetUsage calls.")?;
        writeln!(s, "# TYPE ratelimit_usage_requests_total counter")?;
        for (i, result) in ["ok", "error"].iter().enumerate() {
            writeln!(
                s,
                "ratelimit_usage_requests_total{{result=\"{result}\"}} {}",
                self.usage[i].load(Relaxed)
            )?;
        }
        Ok(())
    }
}
