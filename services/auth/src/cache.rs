//! The in-process cache of key lookups, keyed by key hash, so repeated
//! `Authenticate` calls for one key avoid PostgreSQL.
//!
//! Unknown hashes are cached too (a flood of random well-formed keys then
//! costs one query each per TTL). Revocation evicts: locally on the replica
//! that revoked, and on every replica through the Redis revocation event.
//! An eviction bumps an epoch under the lock; a lookup that started before an
//! eviction does not store its (possibly stale) result, so a revocation can
//! never be undone by a racing read.

use crate::models::api_key::KeyRecord;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

type Entry = (Instant, Option<Arc<KeyRecord>>);

pub struct KeyCache {
    ttl: Duration,
    capacity: usize,
    inner: Mutex<Inner>,
}

struct Inner {
    map: HashMap<String, Entry>,
    epoch: u64,
}

/// A cache answer: a hit (known or unknown key) or a miss with the epoch to pass to [`KeyCache::insert`].
pub enum Lookup {
    Hit(Option<Arc<KeyRecord>>),
    Miss(u64),
}

impl KeyCache {
    /// `ttl` zero disables the cache.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity: capacity.max(1),
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                epoch: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn get(&self, hash: &str) -> Lookup {
        let mut inner = self.lock();
        if self.ttl.is_zero() {
            return Lookup::Miss(inner.epoch);
        }
        match inner.map.get(hash) {
            Some((at, value)) if at.elapsed() < self.ttl => Lookup::Hit(value.clone()),
            Some(_) => {
                inner.map.remove(hash);
                Lookup::Miss(inner.epoch)
            }
            None => Lookup::Miss(inner.epoch),
        }
    }

    /// Stores a lookup result unless an eviction happened since `epoch`.
    pub fn insert(&self, hash: &str, value: Option<Arc<KeyRecord>>, epoch: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut inner = self.lock();
        if inner.epoch != epoch {
            return;
        }
        if inner.map.len() >= self.capacity {
            let ttl = self.ttl;
            inner.map.retain(|_, (at, _)| at.elapsed() < ttl);
            if inner.map.len() >= self.capacity {
                inner.map.clear();
            }
        }
        inner.map.insert(hash.to_owned(), (Instant::now(), value));
    }

    pub fn evict(&self, hash: &str) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.map.remove(hash);
    }

    /// Drops every entry (after a gap in the revocation subscription).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.map.clear();
    }

    pub fn len(&self) -> usize {
        self.lock().map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Option<Arc<KeyRecord>> {
        Some(Arc::new(KeyRecord {
            id: "key_1".into(),
            tenant_id: uuid::Uuid::now_v7(),
            user_id: None,
            product: "admin".into(),
            scopes: vec![],
            tier: "starter".into(),
            env: "live".into(),
            expires_at: None,
            revoked_at: None,
            public_id: None,
        }))
    }

    #[test]
    fn an_eviction_wins_over_a_racing_lookup() {
        let c = KeyCache::new(Duration::from_secs(10), 10);
        let Lookup::Miss(epoch) = c.get("h") else {
            panic!("hit on empty cache")
        };
        c.evict("h");
        c.insert("h", record(), epoch);
        assert!(matches!(c.get("h"), Lookup::Miss(_)));
        let Lookup::Miss(epoch) = c.get("h") else {
            panic!()
        };
        c.insert("h", record(), epoch);
        assert!(matches!(c.get("h"), Lookup::Hit(Some(_))));
        c.evict("h");
        assert!(matches!(c.get("h"), Lookup::Miss(_)));
    }

    #[test]
    fn zero_ttl_disables_and_capacity_bounds() {
        let off = KeyCache::new(Duration::ZERO, 10);
        off.insert("h", record(), 0);
        assert!(matches!(off.get("h"), Lookup::Miss(_)));
        let small = KeyCache::new(Duration::from_secs(10), 2);
        for h in ["a", "b", "c"] {
            small.insert(h, None, 0);
        }
        assert!(small.len() <= 2);
    }
}
