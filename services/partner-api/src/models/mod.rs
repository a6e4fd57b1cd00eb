//! Storage: row structs and plain async query functions over the service's
//! tables. SQL text comes only from constants and whitelisted column names;
//! values are always bound ([`bind_all`]).

pub mod dedup;
pub mod dictionary;
pub mod events;
pub mod health;
pub mod listing;
pub mod logs;
pub mod partitions;
pub mod projects;
pub mod sessions;

use crate::dsl::Bind;
use diesel::{
    pg::Pg,
    query_builder::{BoxedSqlQuery, SqlQuery},
    sql_types,
};

/// A boxed raw query with its binds applied in order.
pub type Boxed<'f> = BoxedSqlQuery<'f, Pg, SqlQuery>;

pub fn bind_all(mut q: Boxed<'_>, binds: Vec<Bind>) -> Boxed<'_> {
    for b in binds {
        q = match b {
            Bind::Uuid(v) => q.bind::<sql_types::Uuid, _>(v),
            Bind::Text(v) => q.bind::<sql_types::Text, _>(v),
            Bind::Timestamp(v) => q.bind::<sql_types::Timestamptz, _>(v),
            Bind::UuidArray(v) => q.bind::<sql_types::Array<sql_types::Uuid>, _>(v),
            Bind::TextArray(v) => q.bind::<sql_types::Array<sql_types::Text>, _>(v),
            Bind::TimestampArray(v) => q.bind::<sql_types::Array<sql_types::Timestamptz>, _>(v),
            Bind::BigInt(v) => q.bind::<sql_types::BigInt, _>(v),
        };
    }
    q
}

#[derive(diesel::QueryableByName)]
pub struct Count {
    #[diesel(sql_type = sql_types::BigInt)]
    pub n: i64,
}

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
