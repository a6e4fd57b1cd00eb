//! Prometheus metrics, lock-free on the request path (atomics indexed by route
//! and status), rendered in the text exposition format on the internal port.
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

use std::{
    fmt::Write,
    sync::atomic::{AtomicU64, Ordering::Relaxed},
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
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        let _ = self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) -> std::fmt::Result {
        writeln!(
            out,
            "# HELP gateway_requests_total Requests answered, by route and status."
        )?;
        writeln!(out, "# TYPE gateway_requests_total counter")?;
        for m in &self.routes {
            for (status, c) in m.statuses.iter().enumerate() {
                let n = c.load(Relaxed);
                if n > 0 {
                    writeln!(
                        out,
                        "gateway_requests_total{{route=\"{}\",status=\"{status}\"}} {n}",
                        m.name
                    )?;
                }
            }
        }
        writeln!(
            out,
            "# HELP gateway_request_duration_seconds Time from request to response head."
        )?;
        writeln!(out, "# TYPE gateway_request_duration_seconds histogram")?;
        for m in &self.routes {
            let mut cumulative = 0;
            for (bound, c) in BUCKETS.iter().zip(&m.buckets) {
                cumulative += c.load(Relaxed);
                writeln!(
                    out,
                    "gateway_request_duration_seconds_bucket{{route=\"{}\",le=\"{bound}\"}} {cumulative}",
                    m.name
                )?;
            }
            let count = m.count.load(Relaxed);
            writeln!(
                out,
                "gateway_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {count}",
                m.name
            )?;
            let sum = m.sum_micros.load(Relaxed) as f64 / 1e6;
            writeln!(
                out,
                "gateway_request_duration_seconds_sum{{route=\"{}\"}} {sum}",
                m.name
            )?;
            writeln!(
                out,
                "gateway_request_duration_seconds_count{{route=\"{}\"}} {count}",
                m.name
            )?;
        }
        writeln!(
            out,
            "# HELP gateway_upstream_errors_total Failed upstream calls, by route and kind."
        )?;
        writeln!(out, "# TYPE gateway_upstream_errors_total counter")?;
        for m in &self.routes {
            for (kind, c) in UPSTREAM_KINDS.iter().zip(&m.upstream_errors) {
                writeln!(
                    out,
                    "gateway_upstream_errors_total{{route=\"{}\",kind=\"{kind}\"}} {}",
                    m.name,
                    c.load(Relaxed)
                )?;
            }
        }
        let hits = self.auth_cache_hits.load(Relaxed);
        let misses = self.auth_cache_misses.load(Relaxed);
        writeln!(
            out,
            "# HELP gateway_auth_cache_total Principal cache lookups, by result."
        )?;
        writeln!(out, "# TYPE gateway_auth_cache_total counter")?;
        writeln!(out, "gateway_auth_cache_total{{result=\"hit\"}} {hits}")?;
        writeln!(out, "gateway_auth_cache_total{{result=\"miss\"}} {misses}")?;
        writeln!(
            out,
            "# HELP gateway_auth_cache_hit_ratio Hits over lookups since start."
        )?;
        writeln!(out, "# TYPE gateway_auth_cache_hit_ratio gauge")?;
        let ratio = if hits + misses == 0 {
            0.0
        } else {
            hits as f64 / (hits + misses) as f64
        };
        writeln!(out, "gateway_auth_cache_hit_ratio {ratio}")?;
        let counters: [(&str, &str, &str, &AtomicU64); 10] = [
            (
                "gateway_ratelimit_calls_total",
                "",
                "ShouldRateLimit calls made.",
                &self.ratelimit_calls,
            ),
            (
                "gateway_ratelimit_batched_requests_total",
                "",
                "Requests decided by a batched call (hits > 1).",
                &self.ratelimit_batched,
            ),
            (
                "gateway_ratelimit_leased_tokens_total",
                "",
                "Tokens taken from ratelimit as leases for busy keys.",
                &self.ratelimit_leased,
            ),
            (
                "gateway_ratelimit_lease_requests_total",
                "",
                "Requests let pass on a leased token (no call).",
                &self.ratelimit_lease_hits,
            ),
            (
                "gateway_auth_failures_total",
                "",
                "Authenticate calls that failed (auth unreachable).",
                &self.auth_failures,
            ),
            (
                "gateway_ratelimit_refused_total",
                "",
                "Requests refused with 429.",
                &self.ratelimit_refused,
            ),
            (
                "gateway_ratelimit_shadow_total",
                "",
                "Over-limit decisions not enforced (shadow mode).",
                &self.ratelimit_shadow,
            ),
            (
                "gateway_ratelimit_failures_total",
                "{outcome=\"allowed\"}",
                "Requests decided by the fail policy because ratelimit was unreachable.",
                &self.ratelimit_failures_allowed,
            ),
            (
                "gateway_ratelimit_failures_total",
                "{outcome=\"refused\"}",
                "",
                &self.ratelimit_failures_refused,
            ),
            (
                "gateway_revocations_total",
                "",
                "Revocation events received.",
                &self.revocations,
            ),
        ];
        writeln!(
            out,
            "# HELP gateway_revocations_subscribed 1 while subscribed to revocation events."
        )?;
        writeln!(out, "# TYPE gateway_revocations_subscribed gauge")?;
        writeln!(
            out,
            "gateway_revocations_subscribed {}",
            self.revocations_subscribed.load(Relaxed)
        )?;
        for (name, labels, help, c) in counters {
            if !help.is_empty() {
                writeln!(out, "# HELP {name} {help}")?;
                writeln!(out, "# TYPE {name} counter")?;
            }
            writeln!(out, "{name}{labels} {}", c.load(Relaxed))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_histograms() {
        let m = Metrics::new(["admin-api"]);
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
            "gateway_request_duration_seconds_bucket{route=\"admin-api\",le=\"0.005\"} 1"
        ));
        assert!(
            text.contains("gateway_upstream_errors_total{route=\"admin-api\",kind=\"timeout\"} 1")
        );
        assert!(text.contains("gateway_auth_cache_hit_ratio 1"));
    }
}
