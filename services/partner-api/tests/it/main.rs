//! Integration tests of partner-api: real PostgreSQL (a fresh database per
//! test), the service on a random port over real HTTP, internal JWTs signed by
//! `TestSigner`.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers panic on broken fixtures by design"
)]

mod auth_grpc;
mod dsl;
mod health;
mod helpers;
mod ingest;
mod kit;
mod lists;
mod meta;
