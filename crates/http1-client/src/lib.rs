//! The gateway's client to upstreams: HTTP/1.1 over pooled keep-alive
//! connections, one [`Client`] (and so one set of pools) per worker thread,
//! driven inline by the request's own task.
//!
//! Why not hyper's client: its connection runs as a task of its own, so every
//! request crosses two channels and several wake-ups, and its header types are
//! `http` 1.x while actix's are 0.2, so every header was converted twice. For
//! a proxy that only forwards bytes this was most of the gateway's own cost.
//! Here the request head is written as bytes straight from actix's header map,
//! the response head is parsed with `httparse` into actix's types (values are
//! slices of the read buffer, not copies), and a response whose body already
//! arrived with its head is handed to actix whole and its connection is back in
//! the pool before the client is answered. Peers that do the same: nginx,
//! Envoy, Cloudflare's pingora.
//!
//! Modules: [`request`] serialises heads (every name and value validated) and
//! frames request bodies; [`response`] parses response heads and decides their
//! framing; [`body`] decodes response bodies (chunked with `httparse`'s
//! chunk-size parser behind a digits-only check); [`pool`] owns connections,
//! pools and the exchange of one request.
//!
//! - Framing is strict where two parsers could disagree: `Content-Length` and
//!   chunk sizes are digits only, chunked lines end in CRLF, conflicting
//!   lengths are refused, chunked beside a `Content-Length` is not reused.
//! - A connection goes back to its pool only once its response was read to the
//!   end and nothing followed it ([`ResponseBody`] hands it back); a response
//!   dropped half-read closes it.
//! - Pooled connections idle longer than `keep_alive` are closed instead of
//!   reused (below the upstreams' own keep-alive, so the gateway closes first);
//!   one the upstream closed meanwhile, or sent any byte on while idle, is
//!   closed before use.
//! - A bodiless GET/HEAD/OPTIONS whose reused connection broke before any
//!   answer is sent again once on a new connection. Any other request on a
//!   reused connection has its head written alone and the connection re-checked
//!   before its body is touched; if the upstream closed it in that window the
//!   request is sent again on a new connection. Nothing else is repeated.
//! - Three separate waits: connect (`connect_timeout` → [`SendError::Connect`]),
//!   the client's upload (`body_timeout` between pieces →
//!   [`SendError::RequestBodyTimeout`], a slow client is not the upstream's
//!   fault), and the response head (the route's timeout, from the end of the
//!   request → [`SendError::Timeout`]).
//! - At most `max_connections` per upstream and worker; beyond, a request waits
//!   for a released one up to the connect timeout ([`SendError::AtCapacity`]).
//! - While a request body is sent, the response head is read too: an upstream
//!   that answers early (413, 401, …) is heard, and its connection not reused.
//! - A response body whose next bytes take longer than the route's timeout
//!   ends with [`SendError::Stalled`] (the client's connection is closed).
//! - Response framing follows RFC 9112 §6.3: no body for HEAD, 1xx, 204 and
//!   304; chunked; `Content-Length`; otherwise until the upstream closes.
//!   Interim answers (`100`, `103 Early Hints`) are dropped, at most 8 of them;
//!   `101 Switching Protocols` is refused (no upgrades through the gateway).
//!
//! Upstreams are plain `http://` base URLs (in-cluster services; TLS between
//! pods belongs to the mesh).

pub mod body;
mod error;
pub mod pool;
pub mod request;
pub mod response;
mod url;

#[cfg(test)]
mod tests;

pub use body::ResponseBody;
pub use error::SendError;
pub use pool::{Client, Settings};
pub use request::{RequestBody, RequestHead};
pub use response::parse_content_length;
pub use url::UpstreamUrl;

use actix_http::header::{HeaderName, HeaderValue};

/// An upstream's answer: status, end-to-end headers and the body.
pub struct Response {
    pub status: u16,
    /// Every header of the response, hop-by-hop ones included (the proxy filters).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// `Content-Length` as the upstream sent it (HEAD answers keep it).
    pub content_length: Option<u64>,
    pub body: ResponseBody,
}
