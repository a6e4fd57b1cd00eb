//! Diesel structs and plain async queries, one module per table.

pub mod api_key;
pub mod signing_key;
pub mod tenant;
pub mod user;
