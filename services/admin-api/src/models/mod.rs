//! Per resource: its [`ListSpec`](crate::listing::ListSpec) (table, columns,
//! filter and sort whitelists), its row struct and its write queries.

pub mod analytics;
pub mod attribution;
pub mod campaigns;
pub mod customers;
pub mod journeys;
pub mod orders;
pub mod products;

use crate::listing::{FilterSpec, Kind};

/// `filter[created_after]`, shared by every resource with a `created_at` column.
pub const CREATED_AFTER: FilterSpec = FilterSpec {
    name: "created_after",
    kind: Kind::Timestamp,
    sql: "created_at >= ?::timestamptz",
    doc: "created at or after this instant",
};

/// `filter[created_before]`.
pub const CREATED_BEFORE: FilterSpec = FilterSpec {
    name: "created_before",
    kind: Kind::Timestamp,
    sql: "created_at < ?::timestamptz",
    doc: "created before this instant",
};
