//! The in-process cache of key lookups, keyed by key hash, so repeated
//! `Authenticate` calls for one key avoid PostgreSQL.
//!
//! Unknown hashes are cached too (a flood of random well-formed keys then
//! costs one query each per TTL). Revocation evicts: locally on the replica
//! that revoked, and on every replica through the Redis revocation event.
//! The cache is the platform's one cache type (`service_kit::cache`, moka):
//! bounded with TinyLFU/LRU eviction, never cleared to make room. A lookup that
//! started before an eviction does not store its (possibly stale) result, so a
//! revocation can never be undone by a racing read.

use crate::models::api_key::KeyRecord;
use service_kit::cache::{Cache, Ticket};
use std::{sync::Arc, time::Duration};

/// Key hash → the key's record (`None`: no such key), for `ttl`.
pub struct KeyCache {
    ttl: Duration,
    entries: Cache<String, Option<Arc<KeyRecord>>>,
}

/// A cache answer: a hit (known or unknown key) or a miss with the ticket to pass to [`KeyCache::insert`].
pub enum Lookup {
    Hit(Option<Arc<KeyRecord>>),
    Miss(Ticket),
}

impl KeyCache {
    /// `ttl` zero disables the cache; at most `capacity` entries (TinyLFU/LRU eviction).
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            entries: Cache::new(u64::try_from(capacity).unwrap_or(u64::MAX)),
        }
    }

    pub fn get(&self, hash: &str) -> Lookup {
        let ticket = self.entries.ticket();
        if self.ttl.is_zero() {
            return Lookup::Miss(ticket);
        }
        match self.entries.get(&hash.to_owned()) {
            Some(value) => Lookup::Hit(value),
            None => Lookup::Miss(ticket),
        }
    }

    /// Stores a lookup result unless an eviction happened since `ticket`.
    pub fn insert(&self, hash: &str, value: Option<Arc<KeyRecord>>, ticket: Ticket) {
        self.entries
            .insert_unless_invalidated(hash.to_owned(), value, self.ttl, ticket);
    }

    pub fn evict(&self, hash: &str) {
        self.entries.invalidate(&hash.to_owned());
    }

    /// Drops every entry (after a gap in the revocation subscription, when
    /// revocations may have been missed; never to make room).
    pub fn clear(&self) {
        self.entries.invalidate_all();
    }

    pub fn len(&self) -> usize {
        usize::try_from(self.entries.entry_count()).unwrap_or(usize::MAX)
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
        let Lookup::Miss(ticket) = off.get("h") else {
            panic!()
        };
        off.insert("h", record(), ticket);
        assert!(matches!(off.get("h"), Lookup::Miss(_)));
        let small = KeyCache::new(Duration::from_secs(10), 2);
        for h in ["a", "b", "c", "d", "e"] {
            let Lookup::Miss(ticket) = small.get(h) else {
                panic!()
            };
            small.insert(h, None, ticket);
        }
        assert!(small.len() <= 2);
    }
}
