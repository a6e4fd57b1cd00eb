//! Collectors read at scrape time: the process (from `/proc`) and connection pools.

use super::PoolUsage;
use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeMetric},
    metrics::{counter::ConstCounter, gauge::ConstGauge},
    registry::Unit,
};

/// Linux's USER_HZ: `/proc` reports CPU times in these ticks (100 on every
/// architecture Linux supports for user space).
const TICKS_PER_SECOND: f64 = 100.0;

/// `process_*` metrics of the current process (absent where `/proc` is not).
#[derive(Debug)]
pub(super) struct ProcessCollector {
    start_time_seconds: Option<f64>,
}

impl ProcessCollector {
    pub(super) fn new() -> Self {
        Self {
            start_time_seconds: start_time_seconds(),
        }
    }
}

/// Fields of `/proc/self/stat` after the command name (which may hold spaces).
fn stat_fields() -> Option<Vec<String>> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_comm = &stat[stat.rfind(')')? + 2..];
    Some(after_comm.split_whitespace().map(str::to_owned).collect())
}

/// utime + stime (fields 14 and 15 of stat; 12 and 13 after the command name).
fn cpu_seconds() -> Option<f64> {
    let f = stat_fields()?;
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

fn resident_memory_bytes() -> Option<i64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn open_fds() -> Option<i64> {
    let n = std::fs::read_dir("/proc/self/fd").ok()?.count();
    i64::try_from(n).ok()
}

/// Boot time (`btime` in `/proc/stat`) + the process start (field 22 of stat, in ticks).
fn start_time_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let btime: f64 = stat
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    let started_ticks: f64 = stat_fields()?.get(19)?.parse().ok()?;
    Some(btime + started_ticks / TICKS_PER_SECOND)
}

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        if let Some(cpu) = cpu_seconds() {
            let m = ConstCounter::new(cpu);
            m.encode(encoder.encode_descriptor(
                "process_cpu",
                "User and system CPU time spent",
                Some(&Unit::Seconds),
                m.metric_type(),
            )?)?;
        }
        if let Some(rss) = resident_memory_bytes() {
            let m = ConstGauge::new(rss);
            m.encode(encoder.encode_descriptor(
                "process_resident_memory",
                "Resident memory size",
                Some(&Unit::Bytes),
                m.metric_type(),
            )?)?;
        }
        if let Some(fds) = open_fds() {
            let m = ConstGauge::new(fds);
            m.encode(encoder.encode_descriptor(
                "process_open_fds",
                "Open file descriptors",
                None,
                m.metric_type(),
            )?)?;
        }
        if let Some(start) = self.start_time_seconds {
            let m = ConstGauge::new(start);
            m.encode(encoder.encode_descriptor(
                "process_start_time",
                "Start time of the process since the Unix epoch",
                Some(&Unit::Seconds),
                m.metric_type(),
            )?)?;
        }
        Ok(())
    }
}

/// `db_pool_*` of one pool.
pub(super) struct PoolCollector<F> {
    pool: &'static str,
    usage: F,
}

impl<F> PoolCollector<F> {
    pub(super) fn new(pool: &'static str, usage: F) -> Self {
        Self { pool, usage }
    }
}

impl<F> std::fmt::Debug for PoolCollector<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolCollector")
            .field("pool", &self.pool)
            .finish_non_exhaustive()
    }
}

impl<F> Collector for PoolCollector<F>
where
    F: Fn() -> PoolUsage + Send + Sync + 'static,
{
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let u = (self.usage)();
        let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        let connections = ConstGauge::new(0i64);
        let mut family = encoder.encode_descriptor(
            "db_pool_connections",
            "Open connections of the pool by state",
            None,
            connections.metric_type(),
        )?;
        for (state, n) in [
            ("idle", u.available),
            ("in_use", u.size.saturating_sub(u.available)),
        ] {
            let labels = super::PoolLabels {
                pool: self.pool,
                state,
            };
            ConstGauge::new(as_i64(n)).encode(family.encode_family(&labels)?)?;
        }
        let max = ConstGauge::new(as_i64(u.max_size));
        let mut family = encoder.encode_descriptor(
            "db_pool_max_connections",
            "Upper bound of the pool's connections",
            None,
            max.metric_type(),
        )?;
        max.encode(family.encode_family(&[("pool", self.pool)])?)?;
        Ok(())
    }
}

/// A family of counters or gauges whose values a closure returns at scrape time.
pub(super) struct FnCollector<F> {
    pub(super) name: &'static str,
    pub(super) help: &'static str,
    pub(super) label: &'static str,
    pub(super) counter: bool,
    pub(super) read: F,
}

impl<F> std::fmt::Debug for FnCollector<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnCollector")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<F> Collector for FnCollector<F>
where
    F: Fn() -> Vec<(&'static str, u64)> + Send + Sync + 'static,
{
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let values = (self.read)();
        if self.counter {
            let kind = ConstCounter::new(0u64).metric_type();
            let mut family = encoder.encode_descriptor(self.name, self.help, None, kind)?;
            for (value, n) in values {
                ConstCounter::new(n).encode(family.encode_family(&[(self.label, value)])?)?;
            }
        } else {
            let kind = ConstGauge::new(0i64).metric_type();
            let mut family = encoder.encode_descriptor(self.name, self.help, None, kind)?;
            for (value, n) in values {
                let n = i64::try_from(n).unwrap_or(i64::MAX);
                ConstGauge::new(n).encode(family.encode_family(&[(self.label, value)])?)?;
            }
        }
        Ok(())
    }
}
