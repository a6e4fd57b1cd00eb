//! The in-process limiter used under `fail_open` while Redis is unavailable.
//!
//! Same GCRA as the Lua script ([`crate::gcra::decide`]) on a sharded map of
//! TATs held by this replica only. While Redis answers, each answer's TAT is
//! mirrored here ([`Fallback::observe`]), so when Redis fails a subject continues
//! from the last state this replica saw rather than from a full bucket. During an
//! outage each replica counts alone: with `N` ratelimit replicas a subject may get
//! up to `N ×` its remaining allowance (approximate by design). It uses the local
//! clock; Redis stays the source of truth once it is back. Memory is bounded by
//! `fallback_max_entries`: full shards first drop rested buckets, then everything.

use crate::gcra::{self, RawDecision};
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, MutexGuard, PoisonError};
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

    fn shard(&self, key: &str) -> MutexGuard<'_, HashMap<String, u64>> {
        let idx = usize::try_from(self.hasher.hash_one(key)).unwrap_or(0) % self.shards.len();
        self.shards[idx]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn store(&self, map: &mut HashMap<String, u64>, key: &str, tat_us: u64, now: u64) {
        if tat_us <= now {
            map.remove(key);
            return;
        }
        if let Some(t) = map.get_mut(key) {
            *t = tat_us;
            return;
        }
        if map.len() >= self.max_per_shard {
            map.retain(|_, tat| *tat > now);
            if map.len() >= self.max_per_shard {
                map.clear();
            }
        }
        map.insert(key.to_owned(), tat_us);
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
        let now = now_us();
        let mut map = self.shard(key);
        let d = gcra::decide(
            map.get(key).copied(),
            now,
            interval_us,
            capacity,
            hits,
            check_only,
        );
        self.store(&mut map, key, d.tat_us, now);
        d
    }

    /// Records the TAT Redis just reported for `key` (at Redis time `now_us`).
    pub fn observe(&self, key: &str, tat_us: u64, now_us: u64) {
        let mut map = self.shard(key);
        self.store(&mut map, key, tat_us, now_us);
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

    #[test]
    fn continues_from_the_mirrored_redis_state() {
        let f = Fallback::new(32);
        let now = now_us();
        // Redis said: 3 of 5 spent (TAT three intervals ahead).
        f.observe("b", now + 3 * 60_000_000, now);
        let allowed = (0..5)
            .filter(|_| f.decide("b", 60_000_000, 5, 1, false).allowed)
            .count();
        assert_eq!(allowed, 2);
        // A rested state from Redis forgets the key.
        f.observe("b", now, now);
        assert_eq!(f.decide("b", 60_000_000, 5, 1, true).remaining, 5);
    }
}
