//! Integration tests of the admin API: the real service on a random port,
//! a fresh PostgreSQL database per test, internal JWTs from a `TestSigner`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

mod analytics;
mod auth_e2e;
mod campaigns;
mod contract;
mod customers;
mod helpers;
mod idempotency;
mod inventory;
mod isolation;
mod journeys;
mod kit;
mod listing;
mod products;
mod schema;
mod scopes;
mod usage;
mod worked_examples;
