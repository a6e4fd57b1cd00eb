//! Integration tests of the generation service (generation-api and the
//! worker): the real API on a random port, a fresh PostgreSQL database per
//! test, internal JWTs from a `TestSigner`, workers in-process or as processes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

mod api;
mod credits;
mod flows;
mod harness;
mod kill;
mod kit;
mod providers;
mod webhooks;
