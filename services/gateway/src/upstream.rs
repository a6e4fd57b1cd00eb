//! The client to upstreams: HTTP/1.1 over pooled keep-alive connections, one
//! pool per worker thread (no locks, no cross-thread wake-ups), on hyper's
//! connection API.
//!
//! - A connection goes back to its pool only once its response was read to the
//!   end ([`ResponseBody`] hands it back); a response dropped half-read closes it.
//! - Pooled connections idle longer than `keep_alive` are closed instead of
//!   reused (below the upstreams' own keep-alive, so the gateway closes first).
//! - A request that never left (the pooled connection was closed meanwhile) is
//!   sent again on a new connection; so is a bodiless GET/HEAD/OPTIONS whose
//!   reused connection broke before any answer.
//! - Errors are typed for the proxy: could not connect → 503, no response head
//!   within the route's timeout → 504, anything else → 502.
//!
//! Upstreams are plain `http://` base URLs (in-cluster services; TLS between
//! pods belongs to the mesh).

use actix_http::body::{BodySize, MessageBody};
use actix_web::error::PayloadError;
use bytes::Bytes;
use futures_util::Stream;
use http_body::{Body, Frame, SizeHint};
use hyper::{
    body::Incoming,
    client::conn::http1::{self, SendRequest},
};
use hyper_util::rt::TokioIo;
use std::{
    cell::RefCell,
    collections::HashMap,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll},
    time::{Duration, Instant},
};
use tokio::net::TcpStream;

/// The parsed form of an `http://host[:port][/base]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUrl {
    pub authority: String,
    pub base_path: String,
    /// `Host` of the upstream requests.
    pub host: http::HeaderValue,
}

impl UpstreamUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!(
                "upstream {url:?} must be an http:// URL (TLS to upstreams belongs to the mesh)"
            )
        })?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.is_empty() || authority.contains('@') {
            return Err(format!("upstream {url:?} has no valid host"));
        }
        let authority = if authority.contains(':') && !authority.ends_with(']') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        authority
            .parse::<http::uri::Authority>()
            .map_err(|e| format!("upstream {url:?}: {e}"))?;
        let host = http::HeaderValue::try_from(authority.as_str())
            .map_err(|e| format!("upstream {url:?}: {e}"))?;
        Ok(Self {
            host,
            authority,
            base_path: path.trim_end_matches('/').to_owned(),
        })
    }
}

/// Why an upstream request failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("cannot connect to {0}")]
    Connect(String),
    #[error("no response head within the route's timeout")]
    Timeout,
    #[error("{0}")]
    Http(#[from] hyper::Error),
}

/// The body sent upstream: nothing, or the client's payload streamed through.
pub enum RequestBody {
    Empty,
    Stream {
        inner: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>,
        /// `Content-Length` of the request, when it had one.
        length: Option<u64>,
    },
}

impl Body for RequestBody {
    type Data = Bytes;
    type Error = PayloadError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, PayloadError>>> {
        match self.get_mut() {
            RequestBody::Empty => Poll::Ready(None),
            RequestBody::Stream { inner, .. } => inner
                .as_mut()
                .poll_next(cx)
                .map(|chunk| chunk.map(|r| r.map(Frame::data))),
        }
    }

    fn is_end_stream(&self) -> bool {
        matches!(self, RequestBody::Empty)
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            RequestBody::Empty => SizeHint::with_exact(0),
            RequestBody::Stream {
                length: Some(n), ..
            } => SizeHint::with_exact(*n),
            RequestBody::Stream { length: None, .. } => SizeHint::default(),
        }
    }
}

struct Idle {
    sender: SendRequest<RequestBody>,
    since: Instant,
}

/// One worker's pools, by upstream authority.
pub struct UpstreamClient {
    idle: RefCell<HashMap<Rc<str>, Vec<Idle>>>,
    max_idle: usize,
    connect_timeout: Duration,
    keep_alive: Duration,
}

impl UpstreamClient {
    pub fn new(max_idle: usize, connect_timeout: Duration, keep_alive: Duration) -> Rc<Self> {
        Rc::new(Self {
            idle: RefCell::new(HashMap::new()),
            max_idle: max_idle.max(1),
            connect_timeout,
            keep_alive,
        })
    }

    /// The pool key of `authority` (allocated once per upstream and worker).
    fn key(&self, authority: &str) -> Rc<str> {
        let mut pools = self.idle.borrow_mut();
        if let Some((key, _)) = pools.get_key_value(authority) {
            return Rc::clone(key);
        }
        let key: Rc<str> = Rc::from(authority);
        pools.insert(Rc::clone(&key), Vec::new());
        key
    }

    /// A pooled connection that is ready, if any.
    fn pooled(&self, authority: &str) -> Option<SendRequest<RequestBody>> {
        let mut pools = self.idle.borrow_mut();
        let pool = pools.get_mut(authority)?;
        while let Some(idle) = pool.pop() {
            if idle.since.elapsed() < self.keep_alive && idle.sender.is_ready() {
                return Some(idle.sender);
            }
        }
        None
    }

    fn release(&self, authority: &Rc<str>, sender: SendRequest<RequestBody>) {
        if !sender.is_ready() {
            return;
        }
        let mut pools = self.idle.borrow_mut();
        let Some(pool) = pools.get_mut(authority) else {
            return;
        };
        if pool.len() < self.max_idle {
            pool.push(Idle {
                sender,
                since: Instant::now(),
            });
        }
    }

    async fn connect(&self, authority: &str) -> Result<SendRequest<RequestBody>, SendError> {
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(authority))
            .await
            .map_err(|_| SendError::Connect(format!("{authority}: connect timed out")))?
            .map_err(|e| SendError::Connect(format!("{authority}: {e}")))?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|e| SendError::Connect(format!("{authority}: {e}")))?;
        actix_web::rt::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// Sends `request` to `to`, waiting at most `timeout` for the response head.
    ///
    /// `rebuild` makes the same request again; it is called only to resend a
    /// bodiless idempotent request whose reused connection broke before answering.
    pub async fn send(
        self: &Rc<Self>,
        to: &UpstreamUrl,
        request: http::Request<RequestBody>,
        rebuild: Option<&dyn Fn() -> http::Request<RequestBody>>,
        timeout: Duration,
    ) -> Result<http::Response<ResponseBody>, SendError> {
        let key = self.key(&to.authority);
        let exchange = async {
            let (mut sender, reused) = match self.pooled(&key) {
                Some(s) => (s, true),
                None => (self.connect(&key).await?, false),
            };
            let answer = match sender.try_send_request(request).await {
                Ok(response) => Ok(response),
                Err(mut e) => {
                    let unsent = e.take_message();
                    let error = e.into_error();
                    let again = match unsent {
                        // Never left: safe to send on a new connection, whatever the method.
                        Some(request) => Some(request),
                        // A reused connection broke before any answer: only a bodiless
                        // idempotent request (the caller passed `rebuild`) is sent again.
                        None if reused => rebuild.map(|f| f()),
                        None => None,
                    };
                    match again {
                        Some(request) => {
                            sender = self.connect(&key).await?;
                            sender.send_request(request).await
                        }
                        None => Err(error),
                    }
                }
            };
            Ok::<_, SendError>((answer?, sender))
        };
        let (response, sender) = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| SendError::Timeout)??;
        let (parts, body) = response.into_parts();
        let body = ResponseBody::new(body, Rc::clone(self), key, sender);
        Ok(http::Response::from_parts(parts, body))
    }
}

/// The upstream's response body, streamed to the client; hands its connection
/// back to the pool once read to the end.
pub struct ResponseBody {
    inner: Incoming,
    release: Option<(Rc<UpstreamClient>, Rc<str>, SendRequest<RequestBody>)>,
    length: Option<u64>,
}

impl ResponseBody {
    fn new(
        inner: Incoming,
        client: Rc<UpstreamClient>,
        authority: Rc<str>,
        sender: SendRequest<RequestBody>,
    ) -> Self {
        let length = inner.size_hint().exact();
        let mut body = Self {
            inner,
            release: Some((client, authority, sender)),
            length,
        };
        if body.inner.is_end_stream() {
            body.finish();
        }
        body
    }

    fn finish(&mut self) {
        if let Some((client, authority, sender)) = self.release.take() {
            client.release(&authority, sender);
        }
    }
}

impl MessageBody for ResponseBody {
    type Error = hyper::Error;

    fn size(&self) -> BodySize {
        match self.length {
            Some(n) => BodySize::Sized(n),
            None => BodySize::Stream,
        }
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, hyper::Error>>> {
        let this = self.get_mut();
        loop {
            match Pin::new(&mut this.inner).poll_frame(cx) {
                Poll::Ready(Some(Ok(frame))) => {
                    // Trailers are dropped (HTTP/1.1 clients rarely take them).
                    let Ok(data) = frame.into_data() else {
                        continue;
                    };
                    if this.inner.is_end_stream() {
                        this.finish();
                    }
                    if data.is_empty() {
                        continue;
                    }
                    return Poll::Ready(Some(Ok(data)));
                }
                Poll::Ready(Some(Err(e))) => {
                    this.release = None;
                    return Poll::Ready(Some(Err(e)));
                }
                Poll::Ready(None) => {
                    this.finish();
                    return Poll::Ready(None);
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_urls_are_parsed() {
        let u = UpstreamUrl::parse("http://127.0.0.1:8101").unwrap();
        assert_eq!(u.authority, "127.0.0.1:8101");
        assert_eq!(u.base_path, "");
        let u = UpstreamUrl::parse("http://admin-api/base/").unwrap();
        assert_eq!(u.authority, "admin-api:80");
        assert_eq!(u.base_path, "/base");
        assert!(UpstreamUrl::parse("https://admin-api").is_err());
        assert!(UpstreamUrl::parse("http://").is_err());
        assert!(UpstreamUrl::parse("http://user@host").is_err());
    }
}
