//! Integration tests of ratelimit-service against real Redis, over real gRPC and HTTP.
//! Redis: `REDIS_URL` (default 127.0.0.1:6379) with a unique key prefix per test; the
//! Redis-outage tests start a private `redis-server` on a free port instead.

mod cluster;
mod connection_age;
mod decisions;
mod helpers;
mod kit;
mod redis_down;
mod usage;
