//! Storage: row structs and plain async query functions over the service's
//! tables, in diesel's DSL (lists through `crates/query`); the batched
//! inserts are the one statement diesel cannot express (see `events::insert`).

pub mod dedup;
pub mod dictionary;
pub mod events;
pub mod health;
pub mod listing;
pub mod logs;
pub mod partitions;
pub mod projects;
pub mod sessions;

/// Values of `source`, on every resource.
pub const SOURCES: &[&str] = &["sdk", "backend", "import"];

/// One field of every row, as the array a batched `INSERT … SELECT FROM unnest(…)`
/// binds (a fixed number of parameters per batch, whatever its size).
macro_rules! column {
    ($rows:expr, $field:ident) => {
        $rows.iter().map(|r| r.$field.clone()).collect::<Vec<_>>()
    };
}
pub(crate) use column;
