//! Black-box tests of the whole platform through the gateway: every service a
//! real process, real PostgreSQL and Redis, keys minted with `authctl`.
//! Each seed's curl examples are replayed verbatim with the host swapped.

mod admin;
mod edge;
mod harness;
mod partner;
