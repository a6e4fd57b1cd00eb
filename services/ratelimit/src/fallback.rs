//! The in-process limiter used under `fail_open` while Redis is unavailable.
//!
//! Same GCRA as the Lua script ([`crate::gcra::decide`]) on a sharded map of
//! TATs held by this replica only: with `N` ratelimit replicas a subject may get
//! up to `N ×` its limit during an outage (approximate by design). It uses the
//! local clock, and its state is dropped when Redis is back (Redis stays the
//! source of truth). Memory is bounded by `fallback_max_entries`: full shards
//! first drop rested buckets, then everything.

use crate::gcra::{self, RawDecision};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

const SHARDS: usize = 16;

#[derive(Debug)]
pub struct Fallback {
    shards: Vec<Mutex<HashMap<String, u64>>>,
    hasher: RandomState,
    max_per_shard: usize,
}

pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

impl Fallback {
    pub fn new(max_entries: usize) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            max_per_shard: (max_entries / SHARDS).max(1),
        }
    }

    /// Decides for `key` (the same string as the Redis bucket key).
    pub fn decide(
        &self,
        key: &str,
        interval_us: u64,
        capacity: u64,
        hits: u64,
        check_only: bool,
    ) -> RawDecision {
        let idx = usize::try_from(self.hasher.hash_one(key)).unwrap_or(0) % SHARDS;
        let now = now_us();
        let Some(shard) = self.shards.get(idx) else {
            return gcra::decide(None, now, interval_us, capacity, hits, check_only);
        };
        let mut map = shard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let d = gcra::decide(
            map.get(key).copied(),
            now,
            interval_us,
            capacity,
            hits,
            check_only,
        );
        if d.tat_us > now {
            if map.len() >= self.max_per_shard && !map.contains_key(key) {
                map.retain(|_, tat| *tat > now);
                if map.len() >= self.max_per_shard {
                    map.clear();
                }
            }
            map.insert(key.to_owned(), d.tat_us);
        } else {
            map.remove(key);
        }
        d
    }

    /// Forgets everything (called when Redis answers again).
    pub fn clear(&self) {
        for s in &self.shards {
            s.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_capacity_and_stays_bounded() {
        let f = Fallback::new(32);
        let allowed = (0..20)
            .filter(|_| f.decide("a", 60_000_000, 5, 1, false).allowed)
            .count();
        assert_eq!(allowed, 5);
        for i in 0..1000 {
            f.decide(&format!("k{i}"), 60_000_000, 5, 1, false);
        }
        let total: usize = f
            .shards
            .iter()
            .map(|s| s.lock().map_or(0, |m| m.len()))
            .sum();
        assert!(total <= 32, "{total}");
    }
}
