//! Why an upstream request failed, typed so the caller can answer precisely.

use actix_http::error::PayloadError;
use std::io;

/// Why an upstream request failed.
///
/// What a proxy answers for each: [`Connect`](Self::Connect) and
/// [`AtCapacity`](Self::AtCapacity) → 503; [`Timeout`](Self::Timeout) → 504;
/// [`RequestBodyTimeout`](Self::RequestBodyTimeout) → 408 (the client was slow,
/// not the upstream); [`InvalidRequest`](Self::InvalidRequest) → 400; the rest → 502.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("cannot connect to {0}")]
    Connect(String),
    #[error("{0}: every allowed connection is busy")]
    AtCapacity(String),
    #[error("no response head within the route's timeout")]
    Timeout,
    #[error("connection: {0}")]
    Io(#[from] io::Error),
    #[error("reading the request body: {0}")]
    RequestBody(PayloadError),
    #[error("the client sent no request body bytes within the upload timeout")]
    RequestBodyTimeout,
    #[error("request head refused: {0}")]
    InvalidRequest(&'static str),
    #[error("invalid response: {0}")]
    Protocol(&'static str),
    #[error("the response body stalled for longer than the route's timeout")]
    Stalled,
}
