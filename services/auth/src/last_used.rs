//! `last_used_at`, off the request path: `Authenticate` records the time in an
//! in-memory map; a background task writes the map in one statement every
//! `last_used_flush_seconds` (default 60), so each key is written at most once
//! per period however busy it is. A crash loses at most one period of stamps.

use crate::models::api_key;
use std::{collections::HashMap, sync::Mutex};
use time::OffsetDateTime;

#[derive(Default)]
pub struct LastUsed {
    pending: Mutex<HashMap<String, OffsetDateTime>>,
}

impl LastUsed {
    pub fn record(&self, key_id: &str) {
        let now = OffsetDateTime::now_utc();
        let mut map = self
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match map.get_mut(key_id) {
            Some(t) => *t = now,
            None => {
                map.insert(key_id.to_owned(), now);
            }
        }
    }

    /// Writes and clears the buffered stamps; on failure they are kept for the next flush.
    pub async fn flush(&self, pool: &db::Pool) -> anyhow::Result<usize> {
        let stamps: Vec<(String, OffsetDateTime)> = {
            let mut map = self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            map.drain().collect()
        };
        if stamps.is_empty() {
            return Ok(0);
        }
        let result = async {
            let mut conn = pool.get().await.map_err(|e| anyhow::anyhow!("pool: {e}"))?;
            Ok::<_, anyhow::Error>(api_key::touch_last_used(&mut conn, stamps.clone()).await?)
        }
        .await;
        if result.is_err() {
            let mut map = self
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            for (id, t) in stamps {
                map.entry(id)
                    .and_modify(|cur| *cur = (*cur).max(t))
                    .or_insert(t);
            }
        }
        result
    }
}
