//! Gateway integration tests: real auth and ratelimit binaries, a real upstream
//! HTTP server, real PostgreSQL and Redis. Build the binaries first:
//! `cargo build -p auth-service -p ratelimit-service -p gateway --bins`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers panic on failure"
)]

mod errors;
mod kit;
mod limits;
mod proxying;
mod revocation;
mod routing;
mod support;
