//! The service's own Prometheus metrics, registered into the service kit's
//! registry (`prometheus-client`) and served with the kit's at `GET /metrics`
//! on the HTTP listener.
//!
//! - `ratelimit_decisions_total{tier,outcome,source}`: outcome `ok|over_limit|shadow_over_limit|unavailable`,
//!   source `redis|fallback|none` (`none` = refused with UNAVAILABLE under `fail_closed`).
//! - `ratelimit_redis_duration_seconds`: histogram of the decision script's round trip.
//! - `ratelimit_redis_errors_total{kind="timeout|error"}`.
//! - `ratelimit_fallback_total{reason="timeout|error|circuit_open"}`: decisions taken without Redis.
//! - `ratelimit_redis_up`: 1 while the last Redis call succeeded.
//! - `ratelimit_invalid_requests_total`, `ratelimit_usage_requests_total{result="ok|error"}`.
//!
//! Every labelled counter is resolved once at start-up, so the hot path is one
//! atomic increment.

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::{Registry, Unit},
};
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
const SLOTS: [(&str, &str); 7] = [
    ("ok", "redis"),
    ("ok", "fallback"),
    ("over_limit", "redis"),
    ("over_limit", "fallback"),
    ("shadow_over_limit", "redis"),
    ("shadow_over_limit", "fallback"),
    ("unavailable", "none"),
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    tier: String,
    outcome: &'static str,
    source: &'static str,
}

#[derive(Debug)]
pub struct Metrics {
    decisions_family: Family<DecisionLabels, Counter>,
    /// `tier index × SLOTS.len() + slot` → the counter of that label set.
    decisions: Vec<Counter>,
    redis_duration: Histogram,
    redis_errors: Family<Vec<(&'static str, &'static str)>, Counter>,
    redis_errors_by_kind: [Counter; 2],
    fallback_family: Family<Vec<(&'static str, &'static str)>, Counter>,
    fallback: [Counter; 3],
    redis_up: Gauge,
    invalid: Counter,
    usage_family: Family<Vec<(&'static str, &'static str)>, Counter>,
    usage: [Counter; 2],
}

fn resolve<const N: usize>(
    family: &Family<Vec<(&'static str, &'static str)>, Counter>,
    label: &'static str,
    values: [&'static str; N],
) -> [Counter; N] {
    values.map(|v| family.get_or_create(&vec![(label, v)]).clone())
}

impl Metrics {
    pub fn new(tiers: &[String]) -> Self {
        let decisions_family = Family::<DecisionLabels, Counter>::default();
        let decisions = tiers
            .iter()
            .flat_map(|tier| {
                SLOTS.iter().map(|(outcome, source)| {
                    decisions_family
                        .get_or_create(&DecisionLabels {
                            tier: tier.clone(),
                            outcome,
                            source,
                        })
                        .clone()
                })
            })
            .collect();
        let redis_errors = Family::default();
        let fallback_family = Family::default();
        let usage_family = Family::default();
        Self {
            decisions_family,
            decisions,
            redis_duration: Histogram::new(BUCKETS),
            redis_errors_by_kind: resolve(&redis_errors, "kind", ["timeout", "error"]),
            redis_errors,
            fallback: resolve(
                &fallback_family,
                "reason",
                ["timeout", "error", "circuit_open"],
            ),
            fallback_family,
            redis_up: Gauge::default(),
            invalid: Counter::default(),
            usage: resolve(&usage_family, "result", ["ok", "error"]),
            usage_family,
        }
    }

    /// Registers every metric (names as in the module docs).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "ratelimit_decisions",
            "Rate-limit decisions by tier, outcome and source",
            self.decisions_family.clone(),
        );
        registry.register_with_unit(
            "ratelimit_redis_duration",
            "Round trip of the decision script",
            Unit::Seconds,
            self.redis_duration.clone(),
        );
        registry.register(
            "ratelimit_redis_errors",
            "Failed or timed-out Redis calls",
            self.redis_errors.clone(),
        );
        registry.register(
            "ratelimit_fallback",
            "Decisions taken without Redis (fail_open in-process limiter or fail_closed refusal)",
            self.fallback_family.clone(),
        );
        registry.register(
            "ratelimit_redis_up",
            "1 while the last Redis call succeeded",
            self.redis_up.clone(),
        );
        registry.register(
            "ratelimit_invalid_requests",
            "Requests refused with INVALID_ARGUMENT",
            self.invalid.clone(),
        );
        registry.register(
            "ratelimit_usage_requests",
            "GetUsage calls",
            self.usage_family.clone(),
        );
    }

    pub fn decision(&self, tier: usize, outcome: Outcome, source: Source) {
        let slot = outcome as usize * 2 + source as usize;
        if let Some(c) = self.decisions.get(tier * SLOTS.len() + slot) {
            c.inc();
        }
    }

    pub fn unavailable(&self, tier: usize) {
        if let Some(c) = self.decisions.get(tier * SLOTS.len() + SLOTS.len() - 1) {
            c.inc();
        }
    }

    pub fn redis_ok(&self, took: Duration) {
        self.redis_duration.observe(took.as_secs_f64());
        self.redis_up.set(1);
    }

    pub fn redis_error(&self, timeout: bool) {
        self.redis_errors_by_kind[usize::from(!timeout)].inc();
        self.redis_up.set(0);
    }

    pub fn fallback(&self, reason: FallbackReason) {
        self.fallback[reason as usize].inc();
    }

    pub fn invalid(&self) {
        self.invalid.inc();
    }

    pub fn usage(&self, ok: bool) {
        self.usage[usize::from(!ok)].inc();
    }

    /// Total fallback decisions (tests and logs).
    pub fn fallback_total(&self) -> u64 {
        self.fallback.iter().map(Counter::get).sum()
    }
}
