//! The client to upstreams: HTTP/1.1 over pooled keep-alive connections, one
//! pool per worker thread, driven inline by the request's own task.
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
//! - A connection goes back to its pool only once its response was read to the
//!   end ([`ResponseBody`] hands it back); a response dropped half-read closes it.
//! - Pooled connections idle longer than `keep_alive` are closed instead of
//!   reused (below the upstreams' own keep-alive, so the gateway closes first),
//!   and one the upstream closed meanwhile is noticed before use.
//! - A bodiless GET/HEAD/OPTIONS whose reused connection broke before any
//!   answer is sent again once on a new connection. Nothing else is repeated.
//! - Errors are typed for the proxy: could not connect → 503, no response head
//!   within the route's timeout → 504, anything else → 502.
//! - While a request body is sent, the response head is read too: an upstream
//!   that answers early (413, 401, …) is heard, and its connection not reused.
//! - A response body whose next bytes take longer than the route's timeout
//!   ends with [`SendError::Stalled`] (the client's connection is closed).
//! - Response framing follows RFC 9112 §6.3: no body for HEAD, 1xx, 204 and
//!   304; chunked; `Content-Length`; otherwise until the upstream closes.
//!   `101 Switching Protocols` is refused (no upgrades through the gateway).
//!
//! Upstreams are plain `http://` base URLs (in-cluster services; TLS between
//! pods belongs to the mesh).

use actix_http::body::{BodySize, MessageBody};
use actix_web::{
    error::PayloadError,
    http::header::{HeaderName, HeaderValue},
};
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use std::{
    cell::RefCell,
    collections::HashMap,
    future::Future,
    io,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll, ready},
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncRead, AsyncWrite, AsyncWriteExt},
    net::TcpStream,
};
use tokio_util::io::poll_read_buf;

/// Bound on a response head (status line and headers).
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Bound on the number of response headers.
const MAX_HEADERS: usize = 128;
/// Bound on one chunk-size or trailer line of a chunked body.
const MAX_LINE_BYTES: usize = 4 * 1024;
/// Body pieces up to this size are copied next to their framing (one write).
const COALESCE_BYTES: usize = 16 * 1024;
/// Room kept free in a connection's read buffer before each read.
const READ_CHUNK: usize = 16 * 1024;

/// The parsed form of an `http://host[:port][/base]` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUrl {
    /// `host:port`, what is connected to and sent as `Host`.
    pub authority: String,
    pub base_path: String,
}

impl UpstreamUrl {
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            format!(
                "upstream {url:?} must be an http:// URL (TLS to upstreams belongs to the mesh)"
            )
        })?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']');
        if authority.is_empty() || !authority.chars().all(valid) {
            return Err(format!("upstream {url:?} has no valid host"));
        }
        let authority = if authority.contains(':') && !authority.ends_with(']') {
            authority.to_owned()
        } else {
            format!("{authority}:80")
        };
        let port = authority.rsplit(':').next().unwrap_or("");
        if port.parse::<u16>().is_err() {
            return Err(format!("upstream {url:?} has no valid port"));
        }
        let base_path = path.trim_end_matches('/');
        if !base_path.bytes().all(|b| b.is_ascii_graphic()) || base_path.contains(['?', '#']) {
            return Err(format!("upstream {url:?} has an invalid base path"));
        }
        Ok(Self {
            authority,
            base_path: base_path.to_owned(),
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
    #[error("connection: {0}")]
    Io(#[from] io::Error),
    #[error("reading the request body: {0}")]
    RequestBody(PayloadError),
    #[error("invalid response: {0}")]
    Protocol(&'static str),
    #[error("the response body stalled for longer than the route's timeout")]
    Stalled,
}

/// The request line and headers of an upstream request, written as bytes.
///
/// Names and values come from actix's header types or from the gateway itself,
/// so they hold no CR or LF; the framing header (`Content-Length` or
/// `Transfer-Encoding`) is added by [`UpstreamClient::send`] from the body.
pub struct RequestHead {
    buf: BytesMut,
    method: Method,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Head,
    /// GET and OPTIONS: safe to send again when a reused connection broke.
    Idempotent,
    Other,
}

impl RequestHead {
    /// `METHOD base_path+target HTTP/1.1` and `Host`.
    pub fn new(method: &str, base_path: &str, target: &str, host: &str) -> Self {
        let mut buf = BytesMut::with_capacity(1024);
        buf.extend_from_slice(method.as_bytes());
        buf.extend_from_slice(b" ");
        buf.extend_from_slice(base_path.as_bytes());
        buf.extend_from_slice(target.as_bytes());
        buf.extend_from_slice(b" HTTP/1.1\r\nhost: ");
        buf.extend_from_slice(host.as_bytes());
        buf.extend_from_slice(b"\r\n");
        let method = match method {
            "HEAD" => Method::Head,
            "GET" | "OPTIONS" => Method::Idempotent,
            _ => Method::Other,
        };
        Self { buf, method }
    }

    pub fn header(&mut self, name: &str, value: &[u8]) {
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b": ");
        self.buf.extend_from_slice(value);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// What was written so far.
    #[cfg(test)]
    pub fn written(&self) -> &[u8] {
        &self.buf
    }

    /// The finished head for `body` (framing header and the blank line).
    fn finish(mut self, body: &RequestBody) -> Bytes {
        match body {
            RequestBody::Empty => {}
            RequestBody::Stream {
                length: Some(n), ..
            } => {
                self.buf.extend_from_slice(b"content-length: ");
                self.buf
                    .extend_from_slice(itoa::Buffer::new().format(*n).as_bytes());
                self.buf.extend_from_slice(b"\r\n");
            }
            RequestBody::Stream { length: None, .. } => {
                self.buf
                    .extend_from_slice(b"transfer-encoding: chunked\r\n");
            }
        }
        self.buf.extend_from_slice(b"\r\n");
        self.buf.freeze()
    }
}

/// The body sent upstream: nothing, or the client's payload streamed through.
pub enum RequestBody {
    Empty,
    Stream {
        inner: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>,
        /// `Content-Length` of the request, when it had one (chunked otherwise).
        length: Option<u64>,
    },
}

/// An upstream's answer: status, end-to-end headers and the body.
pub struct Response {
    pub status: u16,
    /// Every header of the response, hop-by-hop ones included (the proxy filters).
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// `Content-Length` as the upstream sent it (HEAD answers keep it).
    pub content_length: Option<u64>,
    pub body: ResponseBody,
}

struct Conn {
    stream: TcpStream,
    /// Bytes read and not yet consumed.
    buf: BytesMut,
    since: Instant,
}

/// Reads more from `reader` into `buf`; `Ok(0)` at end of stream.
fn poll_fill(
    reader: &mut (impl AsyncRead + Unpin),
    buf: &mut BytesMut,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>> {
    if buf.capacity() - buf.len() < READ_CHUNK / 4 {
        buf.reserve(READ_CHUNK);
    }
    poll_read_buf(Pin::new(reader), cx, buf)
}

impl Conn {
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        poll_fill(&mut self.stream, &mut self.buf, cx)
    }

    /// False when the upstream closed the idle connection (or sent something
    /// unasked). No system call unless the socket became readable while idle.
    fn still_open(&self) -> bool {
        let mut probe = [0u8; 1];
        matches!(self.stream.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }
}

/// One worker's pools, by upstream authority.
pub struct UpstreamClient {
    idle: RefCell<HashMap<Rc<str>, Vec<Conn>>>,
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

    /// A pooled connection that is still usable, if any.
    fn pooled(&self, authority: &str) -> Option<Conn> {
        let mut pools = self.idle.borrow_mut();
        let pool = pools.get_mut(authority)?;
        while let Some(conn) = pool.pop() {
            if conn.since.elapsed() < self.keep_alive && conn.still_open() {
                return Some(conn);
            }
        }
        None
    }

    fn release(&self, authority: &str, mut conn: Conn) {
        if !conn.buf.is_empty() {
            return; // bytes beyond the response: the connection is out of step
        }
        let mut pools = self.idle.borrow_mut();
        let Some(pool) = pools.get_mut(authority) else {
            return;
        };
        if pool.len() < self.max_idle {
            conn.since = Instant::now();
            pool.push(conn);
        }
    }

    async fn connect(&self, authority: &str) -> Result<Conn, SendError> {
        let stream = tokio::time::timeout(self.connect_timeout, TcpStream::connect(authority))
            .await
            .map_err(|_| SendError::Connect(format!("{authority}: connect timed out")))?
            .map_err(|e| SendError::Connect(format!("{authority}: {e}")))?;
        let _ = stream.set_nodelay(true);
        Ok(Conn {
            stream,
            buf: BytesMut::with_capacity(READ_CHUNK),
            since: Instant::now(),
        })
    }

    /// Sends a request to `to` and waits at most `timeout` for the response head.
    pub async fn send(
        self: &Rc<Self>,
        to: &UpstreamUrl,
        head: RequestHead,
        mut body: RequestBody,
        timeout: Duration,
    ) -> Result<Response, SendError> {
        let key = self.key(&to.authority);
        let method = head.method;
        let resendable = matches!(body, RequestBody::Empty) && method != Method::Other;
        let head = head.finish(&body);
        let exchange = async {
            let (mut conn, reused) = match self.pooled(&key) {
                Some(conn) => (conn, true),
                None => (self.connect(&key).await?, false),
            };
            match exchange(&mut conn, &head, &mut body).await {
                Ok(parsed) => Ok((conn, parsed)),
                Err(Failure::BeforeAnswer(_)) if reused && resendable => {
                    let mut conn = self.connect(&key).await?;
                    let parsed = exchange(&mut conn, &head, &mut RequestBody::Empty)
                        .await
                        .map_err(Failure::into_error)?;
                    Ok((conn, parsed))
                }
                Err(failure) => Err(failure.into_error()),
            }
        };
        let (mut conn, parsed) = tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| SendError::Timeout)??;
        let framing = parsed.framing(method);
        let body = ResponseBody::start(framing, &mut conn);
        let body = match body {
            // Whole already: the connection is free before the client is answered.
            Some(complete) => {
                if parsed.keep_alive {
                    self.release(&key, conn);
                }
                complete
            }
            None => ResponseBody {
                state: BodyState::Streaming(Streaming {
                    conn: Some(conn),
                    framing,
                    keep_alive: parsed.keep_alive,
                    client: Rc::clone(self),
                    authority: key,
                    idle: timeout,
                    stall: None,
                }),
            },
        };
        Ok(Response {
            status: parsed.status,
            headers: parsed.headers,
            content_length: parsed.content_length,
            body,
        })
    }
}

/// How an exchange failed: before any byte of an answer arrived (the request
/// may be sent again on another connection if it is safe to), or after.
enum Failure {
    BeforeAnswer(SendError),
    After(SendError),
}

impl Failure {
    fn into_error(self) -> SendError {
        match self {
            Failure::BeforeAnswer(e) | Failure::After(e) => e,
        }
    }
}

/// Writes the request and reads the response head (1xx answers skipped).
///
/// An upstream may answer before it has read the whole body (413, 401, …):
/// that answer is the response, the rest of the body is not sent, and the
/// connection is not reused.
async fn exchange(conn: &mut Conn, head: &Bytes, body: &mut RequestBody) -> Result<Head, Failure> {
    let Conn { stream, buf, .. } = conn;
    let RequestBody::Stream { inner, length } = body else {
        stream
            .write_all(head)
            .await
            .map_err(|e| Failure::BeforeAnswer(e.into()))?;
        return read_head(stream, buf).await;
    };
    let (mut reader, mut writer) = stream.split();
    let sending = write_with_body(&mut writer, head, inner, *length);
    let answer = read_head(&mut reader, buf);
    tokio::pin!(sending, answer);
    tokio::select! {
        biased;
        sent = &mut sending => match sent {
            Ok(()) => answer.await,
            // The upstream stopped reading: it may have answered first.
            Err(SendError::Io(e)) => match answer.await {
                Ok(early) => Ok(Head { keep_alive: false, ..early }),
                Err(_) => Err(Failure::After(SendError::Io(e))),
            },
            Err(e) => Err(Failure::After(e)),
        },
        early = &mut answer => early.map(|head| Head { keep_alive: false, ..head }),
    }
}

/// Reads a final response head into `buf` (1xx answers skipped). Cancel-safe:
/// bytes read stay in `buf`, and a head is consumed only once complete.
async fn read_head(
    reader: &mut (impl AsyncRead + Unpin),
    buf: &mut BytesMut,
) -> Result<Head, Failure> {
    loop {
        match Head::parse(buf).map_err(Failure::After)? {
            Some(head) if head.status == 101 => {
                return Err(Failure::After(SendError::Protocol(
                    "protocol upgrades are not proxied",
                )));
            }
            Some(head) if (100..200).contains(&head.status) => continue,
            Some(head) => return Ok(head),
            None => {}
        }
        let empty = buf.is_empty();
        match std::future::poll_fn(|cx| poll_fill(reader, buf, cx)).await {
            Ok(0) if empty => {
                let closed =
                    io::Error::new(io::ErrorKind::UnexpectedEof, "closed before answering");
                return Err(Failure::BeforeAnswer(closed.into()));
            }
            Ok(0) => {
                return Err(Failure::After(SendError::Protocol(
                    "truncated response head",
                )));
            }
            Ok(_) => {}
            Err(e) if empty => return Err(Failure::BeforeAnswer(e.into())),
            Err(e) => return Err(Failure::After(e.into())),
        }
    }
}

/// Writes the head and the body (framed by `length`, chunked without one).
/// The head goes out with the body's first piece, and small pieces go out
/// with their framing, so a small request is one write.
async fn write_with_body(
    stream: &mut (impl AsyncWrite + Unpin),
    head: &Bytes,
    inner: &mut Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>,
    length: Option<u64>,
) -> Result<(), SendError> {
    let mut out = BytesMut::with_capacity(head.len() + 1024);
    out.extend_from_slice(head);
    let mut sent = 0u64;
    loop {
        let chunk = match inner.next().await {
            Some(Ok(chunk)) if chunk.is_empty() => continue,
            Some(Ok(chunk)) => chunk,
            Some(Err(e)) => return Err(SendError::RequestBody(e)),
            None => break,
        };
        sent += chunk.len() as u64;
        if length.is_some_and(|n| sent > n) {
            return Err(SendError::RequestBody(PayloadError::Overflow));
        }
        if length.is_none() {
            let mut size = [0u8; 18];
            out.extend_from_slice(chunk_size_line(chunk.len(), &mut size));
        }
        if chunk.len() <= COALESCE_BYTES {
            out.extend_from_slice(&chunk);
        } else {
            stream.write_all_buf(&mut out).await?;
            stream.write_all(&chunk).await?;
        }
        if length.is_none() {
            out.extend_from_slice(b"\r\n");
        }
        stream.write_all_buf(&mut out).await?;
    }
    if length.is_some_and(|n| sent < n) {
        return Err(SendError::RequestBody(PayloadError::Incomplete(None)));
    }
    if length.is_none() {
        out.extend_from_slice(b"0\r\n\r\n");
    }
    if !out.is_empty() {
        stream.write_all_buf(&mut out).await?;
    }
    Ok(())
}

/// `<hex size>\r\n` in `buf`.
fn chunk_size_line(len: usize, buf: &mut [u8; 18]) -> &[u8] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 16];
    let mut n = len;
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = HEX[n & 0xf];
        n >>= 4;
        if n == 0 {
            break;
        }
    }
    let count = digits.len() - i;
    buf[..count].copy_from_slice(&digits[i..]);
    buf[count..count + 2].copy_from_slice(b"\r\n");
    &buf[..count + 2]
}

/// A parsed response head.
struct Head {
    status: u16,
    headers: Vec<(HeaderName, HeaderValue)>,
    content_length: Option<u64>,
    /// `Transfer-Encoding`, if any: Some(true) when chunked is its final coding.
    transfer_encoding: Option<bool>,
    keep_alive: bool,
}

impl Head {
    /// Parses (and consumes) a complete head at the start of `buf`; `None` if incomplete.
    fn parse(buf: &mut BytesMut) -> Result<Option<Head>, SendError> {
        let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut response = httparse::Response::new(&mut slots);
        let length = match response.parse(buf) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD_BYTES => {
                return Err(SendError::Protocol("response head too large"));
            }
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(httparse::Error::TooManyHeaders) => {
                return Err(SendError::Protocol("too many response headers"));
            }
            Err(_) => return Err(SendError::Protocol("malformed response head")),
        };
        let status = response.code.unwrap_or(0);
        let http11 = response.version == Some(1);
        let base = buf.as_ptr() as usize;
        // (name, value offset, value length) while `buf` is borrowed.
        let mut found: Vec<(HeaderName, usize, usize)> = Vec::with_capacity(response.headers.len());
        let mut content_length: Option<u64> = None;
        let mut transfer_encoding = None;
        let mut keep_alive = http11;
        for h in response.headers.iter() {
            let name = HeaderName::from_bytes(h.name.as_bytes())
                .map_err(|_| SendError::Protocol("invalid header name"))?;
            if name == actix_web::http::header::CONTENT_LENGTH {
                let n = std::str::from_utf8(h.value)
                    .ok()
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .ok_or(SendError::Protocol("invalid Content-Length"))?;
                if content_length.is_some_and(|m| m != n) {
                    return Err(SendError::Protocol("conflicting Content-Length"));
                }
                content_length = Some(n);
            } else if name == actix_web::http::header::TRANSFER_ENCODING {
                // Chunked only when it is the final coding.
                let chunked = h
                    .value
                    .rsplit(|b| *b == b',')
                    .next()
                    .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
                transfer_encoding = Some(chunked);
            } else if name == actix_web::http::header::CONNECTION {
                for token in h.value.split(|b| *b == b',') {
                    let token = token.trim_ascii();
                    if token.eq_ignore_ascii_case(b"close") {
                        keep_alive = false;
                    } else if token.eq_ignore_ascii_case(b"keep-alive") && !http11 {
                        keep_alive = true;
                    }
                }
            }
            found.push((name, h.value.as_ptr() as usize - base, h.value.len()));
        }
        // Framed by closing, or by chunks with a Content-Length beside them
        // (which then does not count): either way, not reused.
        if transfer_encoding == Some(false)
            || (transfer_encoding.is_some() && content_length.is_some())
        {
            keep_alive = false;
        }
        let head = buf.split_to(length).freeze();
        let mut headers = Vec::with_capacity(found.len());
        for (name, offset, len) in found {
            let value = HeaderValue::from_maybe_shared(head.slice(offset..offset + len))
                .map_err(|_| SendError::Protocol("invalid header value"))?;
            headers.push((name, value));
        }
        Ok(Some(Head {
            status,
            headers,
            content_length,
            transfer_encoding,
            keep_alive,
        }))
    }

    /// How the body of this response is delimited (RFC 9112 §6.3).
    fn framing(&self, method: Method) -> Framing {
        if method == Method::Head || self.status == 204 || self.status == 304 {
            Framing::Length(0)
        } else if self.transfer_encoding == Some(true) {
            Framing::Chunked(Chunked::Size)
        } else if self.transfer_encoding == Some(false) {
            // Another final coding: the body ends when the connection does.
            Framing::UntilClose
        } else if let Some(n) = self.content_length {
            Framing::Length(n)
        } else {
            Framing::UntilClose
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// This many bytes are left.
    Length(u64),
    Chunked(Chunked),
    UntilClose,
}

/// State of a chunked body's decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunked {
    /// Expecting a chunk-size line.
    Size,
    /// Inside a chunk's data, this many bytes left.
    Data(u64),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the last chunk: trailer lines until a blank one.
    Trailer,
    Done,
}

enum Step {
    Data(Bytes),
    NeedMore,
    End,
}

impl Chunked {
    /// Decodes from the start of `buf` as far as one data piece.
    fn step(&mut self, buf: &mut BytesMut) -> Result<Step, SendError> {
        loop {
            match *self {
                Chunked::Size => {
                    let Some(line) = take_line(buf)? else {
                        return Ok(Step::NeedMore);
                    };
                    let digits = line[..]
                        .split(|b| *b == b';')
                        .next()
                        .unwrap_or_default()
                        .trim_ascii();
                    if digits.is_empty() || digits.len() > 15 {
                        return Err(SendError::Protocol("invalid chunk size"));
                    }
                    let size = std::str::from_utf8(digits)
                        .ok()
                        .and_then(|s| u64::from_str_radix(s, 16).ok())
                        .ok_or(SendError::Protocol("invalid chunk size"))?;
                    *self = if size == 0 {
                        Chunked::Trailer
                    } else {
                        Chunked::Data(size)
                    };
                }
                Chunked::Data(left) => {
                    if buf.is_empty() {
                        return Ok(Step::NeedMore);
                    }
                    let n = (left.min(buf.len() as u64)) as usize;
                    *self = if n as u64 == left {
                        Chunked::DataEnd
                    } else {
                        Chunked::Data(left - n as u64)
                    };
                    return Ok(Step::Data(buf.split_to(n).freeze()));
                }
                Chunked::DataEnd => {
                    let Some(line) = take_line(buf)? else {
                        return Ok(Step::NeedMore);
                    };
                    if !line.is_empty() {
                        return Err(SendError::Protocol("chunk data longer than its size"));
                    }
                    *self = Chunked::Size;
                }
                Chunked::Trailer => {
                    let Some(line) = take_line(buf)? else {
                        return Ok(Step::NeedMore);
                    };
                    if line.is_empty() {
                        *self = Chunked::Done;
                    }
                }
                Chunked::Done => return Ok(Step::End),
            }
        }
    }
}

/// One CRLF- (or LF-) terminated line from the start of `buf`, without its end.
fn take_line(buf: &mut BytesMut) -> Result<Option<BytesMut>, SendError> {
    match buf.iter().position(|b| *b == b'\n') {
        Some(i) if i > MAX_LINE_BYTES => Err(SendError::Protocol("chunked line too long")),
        Some(i) => {
            let mut line = buf.split_to(i + 1);
            line.truncate(i);
            if line.last() == Some(&b'\r') {
                line.truncate(i - 1);
            }
            Ok(Some(line))
        }
        None if buf.len() > MAX_LINE_BYTES => Err(SendError::Protocol("chunked line too long")),
        None => Ok(None),
    }
}

/// The upstream's response body, for actix to stream to the client.
pub struct ResponseBody {
    state: BodyState,
}

enum BodyState {
    /// Arrived whole with the head (or is empty).
    Complete(Option<Bytes>),
    Streaming(Streaming),
}

struct Streaming {
    /// None once the body ended or failed.
    conn: Option<Conn>,
    framing: Framing,
    keep_alive: bool,
    client: Rc<UpstreamClient>,
    authority: Rc<str>,
    /// Longest wait for the next bytes of the body (the route's timeout).
    idle: Duration,
    /// Armed while waiting for bytes; reset whenever some arrive.
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl ResponseBody {
    /// The body, when everything of it is already in the buffer.
    fn start(framing: Framing, conn: &mut Conn) -> Option<ResponseBody> {
        let whole = match framing {
            Framing::Length(0) => Bytes::new(),
            Framing::Length(n) if conn.buf.len() as u64 >= n => {
                conn.buf.split_to(n as usize).freeze()
            }
            _ => return None,
        };
        Some(ResponseBody {
            state: BodyState::Complete(Some(whole)),
        })
    }

    /// The whole body, when it arrived with the head.
    pub fn complete(&mut self) -> Option<Bytes> {
        match &mut self.state {
            BodyState::Complete(bytes) => bytes.take(),
            BodyState::Streaming(_) => None,
        }
    }
}

impl Streaming {
    fn finish(&mut self) {
        if let Some(conn) = self.conn.take()
            && self.keep_alive
        {
            self.client.release(&self.authority, conn);
        }
    }

    fn poll_piece(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, SendError>>> {
        loop {
            let Some(conn) = self.conn.as_mut() else {
                return Poll::Ready(None);
            };
            let piece = match &mut self.framing {
                Framing::Length(0) => {
                    self.finish();
                    return Poll::Ready(None);
                }
                Framing::Length(left) => {
                    if conn.buf.is_empty() {
                        None
                    } else {
                        let n = (*left).min(conn.buf.len() as u64);
                        *left -= n;
                        Some(conn.buf.split_to(n as usize).freeze())
                    }
                }
                Framing::Chunked(state) => match state.step(&mut conn.buf) {
                    Ok(Step::Data(bytes)) => Some(bytes),
                    Ok(Step::NeedMore) => None,
                    Ok(Step::End) => {
                        self.finish();
                        return Poll::Ready(None);
                    }
                    Err(e) => {
                        self.conn = None;
                        return Poll::Ready(Some(Err(e)));
                    }
                },
                Framing::UntilClose => (!conn.buf.is_empty()).then(|| conn.buf.split().freeze()),
            };
            if let Some(bytes) = piece {
                if matches!(self.framing, Framing::Length(0)) {
                    self.finish();
                }
                return Poll::Ready(Some(Ok(bytes)));
            }
            let filled = match conn.poll_fill(cx) {
                Poll::Ready(filled) => filled,
                Poll::Pending => {
                    let idle = self.idle;
                    let stall = self
                        .stall
                        .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
                    ready!(stall.as_mut().poll(cx));
                    self.conn = None;
                    return Poll::Ready(Some(Err(SendError::Stalled)));
                }
            };
            if let Some(stall) = self.stall.as_mut() {
                stall
                    .as_mut()
                    .reset(tokio::time::Instant::now() + self.idle);
            }
            match filled {
                Ok(0) if self.framing == Framing::UntilClose => {
                    self.conn = None;
                    return Poll::Ready(None);
                }
                Ok(0) => {
                    self.conn = None;
                    return Poll::Ready(Some(Err(SendError::Protocol("truncated response body"))));
                }
                Ok(_) => {}
                Err(e) => {
                    self.conn = None;
                    return Poll::Ready(Some(Err(e.into())));
                }
            }
        }
    }
}

impl MessageBody for ResponseBody {
    type Error = SendError;

    fn size(&self) -> BodySize {
        match &self.state {
            BodyState::Complete(Some(b)) => BodySize::Sized(b.len() as u64),
            BodyState::Complete(None) => BodySize::Sized(0),
            BodyState::Streaming(s) => match s.framing {
                Framing::Length(n) => BodySize::Sized(n),
                _ => BodySize::Stream,
            },
        }
    }

    fn poll_next(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Bytes, SendError>>> {
        match &mut self.get_mut().state {
            BodyState::Complete(bytes) => {
                Poll::Ready(bytes.take().filter(|b| !b.is_empty()).map(Ok))
            }
            BodyState::Streaming(s) => s.poll_piece(cx),
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
        assert!(UpstreamUrl::parse("http://host:99999").is_err());
        assert!(UpstreamUrl::parse("http://host/a b").is_err());
    }

    fn decode_all(input: &[&[u8]]) -> Result<Vec<u8>, SendError> {
        let mut state = Chunked::Size;
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for piece in input {
            buf.extend_from_slice(piece);
            loop {
                match state.step(&mut buf)? {
                    Step::Data(b) => out.extend_from_slice(&b),
                    Step::NeedMore => break,
                    Step::End => return Ok(out),
                }
            }
        }
        Err(SendError::Protocol("incomplete"))
    }

    #[test]
    fn chunked_bodies_are_decoded_across_any_split() {
        let body = b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\n";
        for split in 0..body.len() {
            let (a, b) = body.split_at(split);
            assert_eq!(
                decode_all(&[a, b]).unwrap(),
                b"hello, world",
                "split at {split}"
            );
        }
        let bytewise: Vec<&[u8]> = body.chunks(1).collect();
        assert_eq!(decode_all(&bytewise).unwrap(), b"hello, world");
        assert!(decode_all(&[b"zz\r\n"]).is_err());
        assert!(decode_all(&[b"2\r\nabc\r\n"]).is_err());
        assert!(decode_all(&[&[b'1'; 5000]]).is_err());
    }

    #[test]
    fn chunk_size_lines_are_hex() {
        let mut buf = [0u8; 18];
        assert_eq!(chunk_size_line(0, &mut buf), b"0\r\n");
        assert_eq!(chunk_size_line(255, &mut buf), b"ff\r\n");
        assert_eq!(chunk_size_line(65536, &mut buf), b"10000\r\n");
    }

    #[test]
    fn response_heads_are_parsed_with_their_framing() {
        let mut buf = BytesMut::from(
            &b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Thing: a b\r\n\r\nhello"[..],
        );
        let head = Head::parse(&mut buf).unwrap().unwrap();
        assert_eq!(head.status, 200);
        assert!(head.keep_alive);
        assert_eq!(head.framing(Method::Idempotent), Framing::Length(5));
        assert_eq!(head.framing(Method::Head), Framing::Length(0));
        assert_eq!(head.headers[1].0.as_str(), "x-thing");
        assert_eq!(head.headers[1].1.as_bytes(), b"a b");
        assert_eq!(&buf[..], b"hello");

        let mut buf = BytesMut::from(
            &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n"[..],
        );
        let head = Head::parse(&mut buf).unwrap().unwrap();
        assert_eq!(head.framing(Method::Other), Framing::Chunked(Chunked::Size));
        assert!(!head.keep_alive);

        let mut buf = BytesMut::from(
            &b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\ncontent-length: 3\r\n\r\n"[..],
        );
        let head = Head::parse(&mut buf).unwrap().unwrap();
        assert_eq!(head.framing(Method::Other), Framing::UntilClose);
        assert!(!head.keep_alive);

        let mut buf = BytesMut::from(&b"HTTP/1.0 200 OK\r\n\r\nrest"[..]);
        let head = Head::parse(&mut buf).unwrap().unwrap();
        assert_eq!(head.framing(Method::Other), Framing::UntilClose);
        assert!(!head.keep_alive);

        let mut partial = BytesMut::from(&b"HTTP/1.1 200 OK\r\nContent-Le"[..]);
        assert!(Head::parse(&mut partial).unwrap().is_none());
        let mut conflicting = BytesMut::from(
            &b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n"[..],
        );
        assert!(Head::parse(&mut conflicting).is_err());
    }

    /// A raw upstream answering each connection's requests with `answers` in turn.
    async fn raw_upstream(answers: Vec<&'static [u8]>, close_after_each: bool) -> UpstreamUrl {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::task::spawn_local(async move {
            let mut answers = answers.into_iter();
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                loop {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match socket.read(&mut buf).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => request.extend_from_slice(&buf[..n]),
                        }
                    }
                    if request.is_empty() {
                        break;
                    }
                    let Some(answer) = answers.next() else { return };
                    socket.write_all(answer).await.unwrap();
                    if close_after_each {
                        break;
                    }
                }
            }
        });
        UpstreamUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap()
    }

    async fn body_of(mut response: Response) -> Vec<u8> {
        let mut out = Vec::new();
        let mut body = std::pin::pin!(response.body);
        while let Some(piece) =
            std::future::poll_fn(|cx| MessageBody::poll_next(body.as_mut(), cx)).await
        {
            out.extend_from_slice(&piece.unwrap());
        }
        let _ = &mut response.headers;
        out
    }

    const TIMEOUT: Duration = Duration::from_secs(2);

    fn test_client() -> Rc<UpstreamClient> {
        UpstreamClient::new(8, Duration::from_secs(1), Duration::from_secs(5))
    }

    fn get(to: &UpstreamUrl) -> RequestHead {
        RequestHead::new("GET", &to.base_path, "/x", &to.authority)
    }

    /// A raw upstream answering with the exact bytes it received (after 100 ms of quiet).
    async fn mirror_upstream() -> UpstreamUrl {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::task::spawn_local(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                let mut received = Vec::new();
                let mut buf = [0u8; 4096];
                while let Ok(Ok(n)) =
                    tokio::time::timeout(Duration::from_millis(100), socket.read(&mut buf)).await
                {
                    if n == 0 {
                        break;
                    }
                    received.extend_from_slice(&buf[..n]);
                }
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n",
                    received.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                let _ = socket.write_all(&received).await;
            }
        });
        UpstreamUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap()
    }

    fn body(pieces: &[&'static str], length: Option<u64>) -> RequestBody {
        let pieces: Vec<Result<Bytes, PayloadError>> = pieces
            .iter()
            .map(|p| Ok(Bytes::from_static(p.as_bytes())))
            .collect();
        RequestBody::Stream {
            inner: Box::pin(futures_util::stream::iter(pieces)),
            length,
        }
    }

    #[tokio::test]
    async fn request_bodies_are_framed_by_length_or_chunked() {
        tokio::task::LocalSet::new()
            .run_until(async {
                let to = mirror_upstream().await;
                let (client, t) = (test_client(), TIMEOUT);
                let post = || RequestHead::new("POST", "", "/in", &to.authority);
                let host = format!("host: {}", to.authority);

                let r = client.send(&to, post(), body(&["hello", "world"], None), t).await.unwrap();
                let seen = String::from_utf8(body_of(r).await).unwrap();
                assert_eq!(
                    seen,
                    format!("POST /in HTTP/1.1\r\n{host}\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n")
                );

                let r = client.send(&to, post(), body(&["hello", "world"], Some(10)), t).await.unwrap();
                let seen = String::from_utf8(body_of(r).await).unwrap();
                assert_eq!(seen, format!("POST /in HTTP/1.1\r\n{host}\r\ncontent-length: 10\r\n\r\nhelloworld"));

                let short = client.send(&to, post(), body(&["hello"], Some(10)), t).await;
                assert!(matches!(short, Err(SendError::RequestBody(_))), "a body shorter than its Content-Length");
                let long = client.send(&to, post(), body(&["hello", "world!"], Some(10)), t).await;
                assert!(matches!(long, Err(SendError::RequestBody(PayloadError::Overflow))));
            })
            .await;
    }

    #[tokio::test]
    async fn chunked_and_close_delimited_bodies_and_reuse() {
        tokio::task::LocalSet::new()
            .run_until(async {
                let to = raw_upstream(
                    vec![
                        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
                    ],
                    false,
                )
                .await;
                let (client, t) = (test_client(), TIMEOUT);
                let r = client.send(&to, get(&to), RequestBody::Empty, t).await.unwrap();
                assert_eq!(r.status, 200);
                assert_eq!(body_of(r).await, b"abc");
                // The same (pooled) connection answers the second request.
                assert_eq!(client.idle.borrow().values().map(Vec::len).sum::<usize>(), 1);
                let r = client.send(&to, get(&to), RequestBody::Empty, t).await.unwrap();
                assert_eq!(body_of(r).await, b"ok");

                let to = raw_upstream(vec![b"HTTP/1.0 200 OK\r\n\r\nuntil close"], true).await;
                let r = client.send(&to, get(&to), RequestBody::Empty, t).await.unwrap();
                assert_eq!(body_of(r).await, b"until close");
                let key = client.key(&to.authority);
                assert!(client.idle.borrow()[&key].is_empty(), "close-delimited: not pooled");
            })
            .await;
    }

    #[tokio::test]
    async fn an_upstream_answering_before_reading_the_body_is_heard() {
        use tokio::io::AsyncReadExt;
        tokio::task::LocalSet::new()
            .run_until(async {
                // Reads the head only, refuses at once, and reads nothing more.
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let port = listener.local_addr().unwrap().port();
                tokio::task::spawn_local(async move {
                    let (mut socket, _) = listener.accept().await.unwrap();
                    let mut seen = Vec::new();
                    let mut buf = [0u8; 1024];
                    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        let n = socket.read(&mut buf).await.unwrap();
                        seen.extend_from_slice(&buf[..n]);
                    }
                    socket
                        .write_all(
                            b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 8\r\n\r\ntoo much",
                        )
                        .await
                        .unwrap();
                    tokio::time::sleep(Duration::from_secs(3)).await;
                });
                let to = UpstreamUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap();
                let client = test_client();
                // 64 MiB: far more than the socket buffers hold.
                let chunk = Bytes::from(vec![b'x'; 64 * 1024]);
                let pieces = (0..1024).map(move |_| Ok::<_, PayloadError>(chunk.clone()));
                let body = RequestBody::Stream {
                    inner: Box::pin(futures_util::stream::iter(pieces)),
                    length: Some(64 * 1024 * 1024),
                };
                let head = RequestHead::new("POST", "", "/upload", &to.authority);
                let r = client.send(&to, head, body, TIMEOUT).await.unwrap();
                assert_eq!(r.status, 413);
                assert_eq!(body_of(r).await, b"too much");
                let key = client.key(&to.authority);
                assert!(
                    client.idle.borrow()[&key].is_empty(),
                    "half-sent request: not pooled"
                );
            })
            .await;
    }

    #[tokio::test]
    async fn a_body_that_stalls_is_cut_off_after_the_timeout() {
        tokio::task::LocalSet::new()
            .run_until(async {
                // Half the body, then silence on an open connection.
                let to = raw_upstream(
                    vec![b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello"],
                    false,
                )
                .await;
                let client = test_client();
                let timeout = Duration::from_millis(200);
                let r = client
                    .send(&to, get(&to), RequestBody::Empty, timeout)
                    .await
                    .unwrap();
                let mut body = std::pin::pin!(r.body);
                let first =
                    std::future::poll_fn(|cx| MessageBody::poll_next(body.as_mut(), cx)).await;
                assert_eq!(&first.unwrap().unwrap()[..], b"hello");
                let waiting = Instant::now();
                let second =
                    std::future::poll_fn(|cx| MessageBody::poll_next(body.as_mut(), cx)).await;
                assert!(matches!(second, Some(Err(SendError::Stalled))));
                assert!(
                    waiting.elapsed() >= Duration::from_millis(150),
                    "{:?}",
                    waiting.elapsed()
                );
                assert!(waiting.elapsed() < Duration::from_secs(2));
                let key = client.key(&to.authority);
                assert!(
                    client.idle.borrow()[&key].is_empty(),
                    "a stalled connection is not pooled"
                );
            })
            .await;
    }

    #[tokio::test]
    async fn a_get_on_a_connection_closed_by_the_upstream_is_sent_again() {
        tokio::task::LocalSet::new()
            .run_until(async {
                // Answers, then closes each connection without saying so.
                let to = raw_upstream(
                    vec![
                        b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\na",
                        b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nb",
                    ],
                    true,
                )
                .await;
                let (client, t) = (test_client(), TIMEOUT);
                let r = client
                    .send(&to, get(&to), RequestBody::Empty, t)
                    .await
                    .unwrap();
                assert_eq!(body_of(r).await, b"a");
                tokio::time::sleep(Duration::from_millis(50)).await;
                let r = client
                    .send(&to, get(&to), RequestBody::Empty, t)
                    .await
                    .unwrap();
                assert_eq!(body_of(r).await, b"b");
            })
            .await;
    }
}
