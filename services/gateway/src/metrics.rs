//! Prometheus metrics, lock-free on the request path (atomics indexed by route
//! and status), read at scrape time by a `prometheus-client` collector
//! registered in the service kit's registry, served on the internal port with
//! the kit's process metrics and `build_info`.
//!
//! - `gateway_requests_total{route,status}`
//! - `gateway_request_duration_seconds{route}` (histogram; time to the response head)
//! - `gateway_upstream_errors_total{route,kind}` (`timeout`, `unavailable`, `bad_gateway`)
//! - `gateway_auth_cache_total{result}` (`hit`, `miss`) — the hit ratio is hit/(hit+miss)
//! - `gateway_auth_failures_total` (auth unreachable)
//! - `gateway_ratelimit_refused_total`, `gateway_ratelimit_shadow_total`
//! - `gateway_ratelimit_failures_total{outcome}` (`allowed` under fail-open, `refused` under fail-closed)
//! - `gateway_revocations_total`, `gateway_revocations_subscribed` (gauge)
//! - `gateway_ratelimit_calls_total`, `gateway_ratelimit_batched_requests_total` (coalescing at work),
//!   `gateway_ratelimit_leased_tokens_total`, `gateway_ratelimit_lease_requests_total` (leases)

use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeMetric, MetricEncoder, NoLabelSet},
    metrics::{MetricType, counter::ConstCounter, gauge::ConstGauge},
    registry::{Registry, Unit},
};
use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering::Relaxed},
    },
    time::Duration,
};

/// Histogram bucket bounds in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

const STATUSES: usize = 600;

#[derive(Debug, Clone, Copy)]
pub enum UpstreamError {
    Timeout = 0,
    Unavailable = 1,
    BadGateway = 2,
}

const UPSTREAM_KINDS: [&str; 3] = ["timeout", "unavailable", "bad_gateway"];

struct RouteMetrics {
    name: String,
    statuses: Box<[AtomicU64]>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
    upstream_errors: [AtomicU64; 3],
}

impl RouteMetrics {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            statuses: (0..STATUSES).map(|_| AtomicU64::new(0)).collect(),
            buckets: Default::default(),
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
            upstream_errors: Default::default(),
        }
    }
}

pub struct Metrics {
    /// One per route, plus a last one for unmatched requests.
    routes: Vec<RouteMetrics>,
    pub auth_cache_hits: AtomicU64,
    pub auth_cache_misses: AtomicU64,
    pub auth_failures: AtomicU64,
    pub ratelimit_refused: AtomicU64,
    pub ratelimit_shadow: AtomicU64,
    pub ratelimit_failures_allowed: AtomicU64,
    pub ratelimit_failures_refused: AtomicU64,
    pub revocations: AtomicU64,
    pub ratelimit_calls: AtomicU64,
    pub ratelimit_batched: AtomicU64,
    /// Tokens taken as leases, and requests let pass on one.
    pub ratelimit_leased: AtomicU64,
    pub ratelimit_lease_hits: AtomicU64,
    /// 1 while the revocation subscription is established.
    pub revocations_subscribed: AtomicU64,
}

impl Metrics {
    pub fn new<'a>(route_names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut routes: Vec<RouteMetrics> =
            route_names.into_iter().map(RouteMetrics::new).collect();
        routes.push(RouteMetrics::new("unmatched"));
        Self {
            routes,
            auth_cache_hits: AtomicU64::new(0),
            auth_cache_misses: AtomicU64::new(0),
            auth_failures: AtomicU64::new(0),
            ratelimit_refused: AtomicU64::new(0),
            ratelimit_shadow: AtomicU64::new(0),
            ratelimit_failures_allowed: AtomicU64::new(0),
            ratelimit_failures_refused: AtomicU64::new(0),
            revocations: AtomicU64::new(0),
            ratelimit_calls: AtomicU64::new(0),
            ratelimit_batched: AtomicU64::new(0),
            ratelimit_leased: AtomicU64::new(0),
            ratelimit_lease_hits: AtomicU64::new(0),
            revocations_subscribed: AtomicU64::new(0),
        }
    }

    fn route(&self, index: Option<usize>) -> &RouteMetrics {
        let last = self.routes.len() - 1;
        &self.routes[index.map_or(last, |i| i.min(last))]
    }

    /// Records one answered request (`route` = None when nothing matched).
    pub fn observe(&self, route: Option<usize>, status: u16, elapsed: Duration) {
        let m = self.route(route);
        if let Some(c) = m.statuses.get(status as usize) {
            c.fetch_add(1, Relaxed);
        }
        let secs = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            m.buckets[i].fetch_add(1, Relaxed);
        }
        m.count.fetch_add(1, Relaxed);
        m.sum_micros.fetch_add(elapsed.as_micros() as u64, Relaxed);
    }

    pub fn upstream_error(&self, route: usize, kind: UpstreamError) {
        self.route(Some(route)).upstream_errors[kind as usize].fetch_add(1, Relaxed);
    }

    pub fn incr(counter: &AtomicU64) {
        counter.fetch_add(1, Relaxed);
    }

    /// The text exposition format.
    /// Registers these metrics into the service kit's registry; they are read
    /// from the atomics at each scrape and encoded by `prometheus-client`.
    pub fn register(self: &Arc<Self>, registry: &mut Registry) {
        registry.register_collector(Box::new(Collected(Arc::clone(self))));
    }

    /// The metrics alone in OpenMetrics text (tests).
    pub fn render(self: &Arc<Self>) -> String {
        let mut registry = Registry::default();
        self.register(&mut registry);
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        out
    }
}

/// The collector reading [`Metrics`] at scrape time.
struct Collected(Arc<Metrics>);

impl std::fmt::Debug for Collected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("gateway::metrics::Collected")
    }
}

/// One route's latency histogram as the encoder wants it.
struct RouteHistogram<'a>(&'a RouteMetrics);

impl EncodeMetric for RouteHistogram<'_> {
    fn encode(&self, mut encoder: MetricEncoder<'_>) -> std::fmt::Result {
        let m = self.0;
        let count = m.count.load(Relaxed);
        let mut buckets: Vec<(f64, u64)> = BUCKETS
            .iter()
            .zip(&m.buckets)
            .map(|(b, c)| (*b, c.load(Relaxed)))
            .collect();
        let in_buckets: u64 = buckets.iter().map(|(_, n)| n).sum();
        buckets.push((f64::MAX, count.saturating_sub(in_buckets)));
        let sum = m.sum_micros.load(Relaxed) as f64 / 1e6;
        encoder.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)
    }

    fn metric_type(&self) -> MetricType {
        MetricType::Histogram
    }
}

fn counter_family(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    rows: &[(&[(&str, &str)], u64)],
) -> std::fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, n) in rows {
        ConstCounter::new(*n).encode(family.encode_family(labels)?)?;
    }
    Ok(())
}

fn counter(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    c: &AtomicU64,
) -> std::fmt::Result {
    let m = ConstCounter::new(c.load(Relaxed));
    m.encode(encoder.encode_descriptor(name, help, None, m.metric_type())?)
}

impl Collector for Collected {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> std::fmt::Result {
        let m = &self.0;
        {
            let mut family = encoder.encode_descriptor(
                "gateway_requests",
                "Requests answered, by route and status",
                None,
                MetricType::Counter,
            )?;
            for r in &m.routes {
                for (status, c) in r.statuses.iter().enumerate() {
                    let n = c.load(Relaxed);
                    if n > 0 {
                        let status = status.to_string();
                        let labels = [("route", r.name.as_str()), ("status", status.as_str())];
                        ConstCounter::new(n).encode(family.encode_family(&labels)?)?;
                    }
                }
            }
        }
        {
            let unit = Unit::Seconds;
            let mut family = encoder.encode_descriptor(
                "gateway_request_duration",
                "Time from request to response head, by route",
                Some(&unit),
                MetricType::Histogram,
            )?;
            for r in &m.routes {
                RouteHistogram(r).encode(family.encode_family(&[("route", r.name.as_str())])?)?;
            }
        }
        {
            let mut family = encoder.encode_descriptor(
                "gateway_upstream_errors",
                "Failed upstream calls, by route and kind",
                None,
                MetricType::Counter,
            )?;
            for r in &m.routes {
                for (kind, c) in UPSTREAM_KINDS.iter().zip(&r.upstream_errors) {
                    let labels = [("route", r.name.as_str()), ("kind", *kind)];
                    ConstCounter::new(c.load(Relaxed)).encode(family.encode_family(&labels)?)?;
                }
            }
        }
        let hits = m.auth_cache_hits.load(Relaxed);
        let misses = m.auth_cache_misses.load(Relaxed);
        counter_family(
            &mut encoder,
            "gateway_auth_cache",
            "Principal cache lookups, by result",
            &[
                (&[("result", "hit")], hits),
                (&[("result", "miss")], misses),
            ],
        )?;
        let ratio = if hits + misses == 0 {
            0.0
        } else {
            hits as f64 / (hits + misses) as f64
        };
        let g = ConstGauge::new(ratio);
        g.encode(encoder.encode_descriptor(
            "gateway_auth_cache_hit_ratio",
            "Hits over lookups since start",
            None,
            g.metric_type(),
        )?)?;
        counter_family(
            &mut encoder,
            "gateway_ratelimit_failures",
            "Requests decided by the fail policy because ratelimit was unreachable",
            &[
                (
                    &[("outcome", "allowed")],
                    m.ratelimit_failures_allowed.load(Relaxed),
                ),
                (
                    &[("outcome", "refused")],
                    m.ratelimit_failures_refused.load(Relaxed),
                ),
            ],
        )?;
        for (name, help, c) in [
            (
                "gateway_ratelimit_calls",
                "ShouldRateLimit calls made",
                &m.ratelimit_calls,
            ),
            (
                "gateway_ratelimit_batched_requests",
                "Requests decided by a batched call (hits > 1)",
                &m.ratelimit_batched,
            ),
            (
                "gateway_ratelimit_leased_tokens",
                "Tokens taken from ratelimit as leases for busy keys",
                &m.ratelimit_leased,
            ),
            (
                "gateway_ratelimit_lease_requests",
                "Requests let pass on a leased token (no call)",
                &m.ratelimit_lease_hits,
            ),
            (
                "gateway_auth_failures",
                "Authenticate calls that failed (auth unreachable)",
                &m.auth_failures,
            ),
            (
                "gateway_ratelimit_refused",
                "Requests refused with 429",
                &m.ratelimit_refused,
            ),
            (
                "gateway_ratelimit_shadow",
                "Over-limit decisions not enforced (shadow mode)",
                &m.ratelimit_shadow,
            ),
            (
                "gateway_revocations",
                "Revocation events received",
                &m.revocations,
            ),
        ] {
            counter(&mut encoder, name, help, c)?;
        }
        let g = ConstGauge::new(i64::try_from(m.revocations_subscribed.load(Relaxed)).unwrap_or(0));
        g.encode(encoder.encode_descriptor(
            "gateway_revocations_subscribed",
            "1 while subscribed to revocation events",
            None,
            g.metric_type(),
        )?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_histograms() {
        let m = Arc::new(Metrics::new(["admin-api"]));
        m.observe(Some(0), 200, Duration::from_millis(3));
        m.observe(None, 404, Duration::from_micros(100));
        m.upstream_error(0, UpstreamError::Timeout);
        Metrics::incr(&m.auth_cache_hits);
        let text = m.render();
        assert!(
            text.contains("gateway_requests_total{route=\"admin-api\",status=\"200\"} 1"),
            "{text}"
        );
        assert!(text.contains("gateway_requests_total{route=\"unmatched\",status=\"404\"} 1"));
        assert!(text.contains(
            "gateway_request_duration_seconds_bucket{le=\"0.005\",route=\"admin-api\"} 1"
        ));
        assert!(
            text.contains("gateway_upstream_errors_total{route=\"admin-api\",kind=\"timeout\"} 1")
        );
        assert!(text.contains("gateway_auth_cache_hit_ratio 1"), "{text}");
        assert!(text.contains(
            "gateway_request_duration_seconds_bucket{le=\"+Inf\",route=\"admin-api\"} 1"
        ));
    }
}
