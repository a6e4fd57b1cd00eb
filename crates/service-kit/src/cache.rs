//! [`Cache`]: the one in-process cache type of the platform (moka: bounded,
//! TinyLFU admission with LRU eviction, per-entry time to live). A full cache
//! evicts its least valuable entries one by one; it is never cleared wholesale
//! to make room.
//!
//! Revocation-safe filling: a lookup that missed takes a [`Ticket`] before it
//! asks the source of truth, and stores the answer with
//! [`Cache::insert_unless_invalidated`]; an invalidation in between (a key
//! revoked while its lookup was in flight) wins, so a stale answer is never
//! cached after the invalidation.

use std::{
    hash::Hash,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// The epoch a lookup started in (see [`Cache::insert_unless_invalidated`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket(u64);

#[derive(Clone)]
struct Stored<V> {
    value: V,
    ttl: Duration,
}

struct PerEntryTtl;

impl<K, V> moka::Expiry<K, Stored<V>> for PerEntryTtl {
    fn expire_after_create(&self, _key: &K, stored: &Stored<V>, _now: Instant) -> Option<Duration> {
        Some(stored.ttl)
    }
}

/// A bounded cache whose entries expire after their own time to live.
pub struct Cache<K, V> {
    entries: moka::sync::Cache<K, Stored<V>>,
    epoch: Arc<AtomicU64>,
}

impl<K, V> std::fmt::Debug for Cache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("entries", &self.entries.entry_count())
            .finish_non_exhaustive()
    }
}

impl<K, V> Cache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A cache of at most `max_entries` entries.
    pub fn new(max_entries: u64) -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .max_capacity(max_entries.max(1))
                .expire_after(PerEntryTtl)
                .support_invalidation_closures()
                .build(),
            epoch: Arc::new(AtomicU64::new(0)),
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        self.entries.get(key).map(|s| s.value)
    }

    /// Take before asking the source of truth after a miss.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.epoch.load(Ordering::SeqCst))
    }

    /// Stores `value` for `ttl` (zero: not stored).
    pub fn insert(&self, key: K, value: V, ttl: Duration) {
        if !ttl.is_zero() {
            self.entries.insert(key, Stored { value, ttl });
        }
    }

    /// Stores `value` unless an invalidation happened since `ticket` was taken.
    pub fn insert_unless_invalidated(&self, key: K, value: V, ttl: Duration, ticket: Ticket)
    where
        K: Clone,
    {
        if ttl.is_zero() || self.ticket() != ticket {
            return;
        }
        self.entries.insert(key.clone(), Stored { value, ttl });
        // An invalidation that raced with the insert: drop what we stored.
        if self.ticket() != ticket {
            self.entries.invalidate(&key);
        }
    }

    /// Removes `key`; lookups in flight will not store their answer.
    pub fn invalidate(&self, key: &K) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate(key);
    }

    /// Removes every entry matching `predicate` (e.g. all principals of one key id).
    pub fn invalidate_if<F>(&self, predicate: F)
    where
        F: Fn(&K, &V) -> bool + Send + Sync + 'static,
    {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        // Only fails when invalidation closures are not enabled; they are.
        let _ = self
            .entries
            .invalidate_entries_if(move |k, s| predicate(k, &s.value));
    }

    /// Removes every entry: only for correctness (after a gap in the
    /// revocation feed), never to make room.
    pub fn invalidate_all(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate_all();
    }

    /// Entries currently held (approximate until pending maintenance runs).
    pub fn entry_count(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.entry_count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalidation_wins_over_a_racing_fill() {
        let c: Cache<String, u32> = Cache::new(10);
        let ticket = c.ticket();
        c.invalidate(&"k".to_owned());
        c.insert_unless_invalidated("k".into(), 1, Duration::from_secs(10), ticket);
        assert_eq!(c.get(&"k".to_owned()), None);
        let ticket = c.ticket();
        c.insert_unless_invalidated("k".into(), 2, Duration::from_secs(10), ticket);
        assert_eq!(c.get(&"k".to_owned()), Some(2));
        c.invalidate_if(|_, v| *v == 2);
        c.entries.run_pending_tasks();
        assert_eq!(c.get(&"k".to_owned()), None);
    }

    #[test]
    fn entries_expire_after_their_own_ttl_and_the_cache_stays_bounded() {
        let c: Cache<u32, u32> = Cache::new(50);
        c.insert(1, 1, Duration::from_millis(30));
        c.insert(2, 2, Duration::from_secs(60));
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!((c.get(&1), c.get(&2)), (None, Some(2)));
        for i in 0..1_000 {
            c.insert(i, i, Duration::from_secs(60));
        }
        assert!(c.entry_count() <= 50, "{}", c.entry_count());
        c.insert(7, 7, Duration::ZERO);
    }
}
