//! Black-box tests of the whole platform through the gateway: every service a
//! real process, real PostgreSQL and Redis, keys minted with `authctl`.
//! Each seed's curl examples are replayed verbatim with the host swapped.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test harness: a failed step is a failed test"
)]

mod admin;
mod edge;
mod generation;
mod harness;
mod partner;
