//! `event_dictionary`: per-project event metadata (`_category`, `_feature`,
//! `_surface`) stripped from payloads at ingest. Latest non-null value wins.

use diesel::{QueryResult, sql_query, sql_types as st};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Meta {
    pub category: Option<String>,
    pub feature: Option<String>,
    pub surface: Option<String>,
}

impl Meta {
    /// Later non-null values win.
    pub fn merge(&mut self, later: Meta) {
        if later.category.is_some() {
            self.category = later.category;
        }
        if later.feature.is_some() {
            self.feature = later.feature;
        }
        if later.surface.is_some() {
            self.surface = later.surface;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.category.is_none() && self.feature.is_none() && self.surface.is_none()
    }
}

/// Upserts one row per event name. Names are sorted (a BTreeMap) so that
/// concurrent batches lock rows in the same order and cannot deadlock.
pub async fn upsert(
    conn: &mut AsyncPgConnection,
    project: Uuid,
    entries: &BTreeMap<String, Meta>,
) -> QueryResult<usize> {
    if entries.is_empty() {
        return Ok(0);
    }
    let names: Vec<String> = entries.keys().cloned().collect();
    let cat: Vec<Option<String>> = entries.values().map(|m| m.category.clone()).collect();
    let feat: Vec<Option<String>> = entries.values().map(|m| m.feature.clone()).collect();
    let surf: Vec<Option<String>> = entries.values().map(|m| m.surface.clone()).collect();
    sql_query(
        "INSERT INTO event_dictionary (project_id, event_name, category, feature, surface) \
         SELECT $1, n, c, f, s FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS t(n, c, f, s) ORDER BY n \
         ON CONFLICT (project_id, event_name) DO UPDATE SET \
           category = COALESCE(EXCLUDED.category, event_dictionary.category), \
           feature = COALESCE(EXCLUDED.feature, event_dictionary.feature), \
           surface = COALESCE(EXCLUDED.surface, event_dictionary.surface), \
           last_seen_at = now()",
    )
    .bind::<st::Uuid, _>(project)
    .bind::<st::Array<st::Text>, _>(names)
    .bind::<st::Array<st::Nullable<st::Text>>, _>(cat)
    .bind::<st::Array<st::Nullable<st::Text>>, _>(feat)
    .bind::<st::Array<st::Nullable<st::Text>>, _>(surf)
    .execute(conn)
    .await
}
