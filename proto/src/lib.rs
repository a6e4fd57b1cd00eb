//! Generated gRPC code for the platform's internal contracts (`proto/platform/*.proto`).
//!
//! - [`auth`]: `Authenticate` for the gateway.
//! - [`ratelimit`]: `ShouldRateLimit` and `GetUsage`.

#![allow(clippy::all, clippy::pedantic, missing_docs, rust_2018_idioms)]

pub mod auth {
    tonic::include_proto!("platform.auth.v1");
}

pub mod ratelimit {
    tonic::include_proto!("platform.ratelimit.v1");
}
