//! The worker's own metrics, on the kit's registry (`/metrics`):
//! `jobs_queue_depth{queue}` and `jobs_oldest_queued_age_seconds{queue}`
//! (sampled by the reaper's loop, one aggregate query per queue: a scrape never
//! touches the database) and `generation_webhook_deliveries_total{outcome}`
//! (one per delivery attempt).
//!
//! Queue names: `generation` (the jobs table) and `webhook_deliveries`.

use crate::runner::Ctx;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

pub const GENERATION_QUEUE: &str = "generation";
pub const DELIVERY_QUEUE: &str = "webhook_deliveries";

/// How one delivery attempt ended.
#[derive(Debug, Clone, Copy)]
pub enum DeliveryOutcome {
    Delivered,
    /// Transport error, timeout or a non-2xx answer: retried after a backoff
    /// (or failed for good once the attempts are used up).
    Failed,
    /// 410 Gone: the endpoint is disabled.
    EndpointGone,
    /// The URL or its address is not allowed.
    BlockedAddress,
}

#[derive(Debug, Default)]
pub struct WorkerMetrics {
    queue_depth: [AtomicU64; 2],
    oldest_queued_age_seconds: [AtomicU64; 2],
    deliveries: [AtomicU64; 4],
}

const QUEUES: [&str; 2] = [GENERATION_QUEUE, DELIVERY_QUEUE];
const OUTCOMES: [&str; 4] = ["delivered", "failed", "endpoint_gone", "blocked_address"];

impl WorkerMetrics {
    pub fn delivery(&self, outcome: DeliveryOutcome) {
        self.deliveries[outcome as usize].fetch_add(1, Relaxed);
    }

    fn record_queue(&self, index: usize, stats: jobs::QueueStats) {
        self.queue_depth[index].store(u64::try_from(stats.queued).unwrap_or(0), Relaxed);
        self.oldest_queued_age_seconds[index]
            .store(stats.oldest_queued_age_seconds.max(0.0) as u64, Relaxed);
    }

    fn read(values: &[AtomicU64], labels: &[&'static str]) -> Vec<(&'static str, u64)> {
        labels
            .iter()
            .zip(values)
            .map(|(l, v)| (*l, v.load(Relaxed)))
            .collect()
    }
}

/// Refreshes the two queue gauges (called by the reaper's loop each round).
pub async fn sample_queues(ctx: &Ctx) {
    let Ok(mut conn) = ctx.pool.get().await else {
        return;
    };
    for (index, queue) in [&ctx.jobs, &ctx.deliveries].into_iter().enumerate() {
        match queue.stats(&mut conn).await {
            Ok(stats) => ctx.metrics.record_queue(index, stats),
            Err(e) => tracing::warn!(error = %e, queue = QUEUES[index], "queue stats failed"),
        }
    }
}

/// Registers the three families, read from `ctx` at each scrape.
pub fn register(metrics: &mut service_kit::metrics::Metrics, ctx: &std::sync::Arc<Ctx>) {
    let of = std::sync::Arc::clone(ctx);
    metrics.register_gauges_fn(
        "jobs_queue_depth",
        "Queued entries (due or in backoff) per queue",
        "queue",
        move || WorkerMetrics::read(&of.metrics.queue_depth, &QUEUES),
    );
    let of = std::sync::Arc::clone(ctx);
    metrics.register_gauges_fn(
        "jobs_oldest_queued_age_seconds",
        "How long the oldest due entry of each queue has waited",
        "queue",
        move || WorkerMetrics::read(&of.metrics.oldest_queued_age_seconds, &QUEUES),
    );
    let of = std::sync::Arc::clone(ctx);
    metrics.register_counters_fn(
        "generation_webhook_deliveries",
        "Webhook delivery attempts by outcome",
        "outcome",
        move || WorkerMetrics::read(&of.metrics.deliveries, &OUTCOMES),
    );
}
