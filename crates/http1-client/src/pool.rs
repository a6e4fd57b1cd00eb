//! Connections and their pools: one [`Client`] per worker thread, one pool
//! per upstream authority, at most `max_connections` open per pool, and the
//! exchange of one request and its response head on a connection.

use crate::{
    RequestBody, RequestHead, Response, ResponseBody, SendError, UpstreamUrl,
    request::{Method, write_with_body},
    response::Head,
};
use bytes::{Bytes, BytesMut};
use std::{
    cell::{Cell, RefCell},
    collections::HashMap,
    io,
    pin::Pin,
    rc::{Rc, Weak},
    task::{Context, Poll},
    time::{Duration, Instant},
};
use tokio::{
    io::{AsyncRead, AsyncWriteExt},
    net::TcpStream,
    sync::Notify,
};
use tokio_util::io::poll_read_buf;

/// Room kept free in a connection's read buffer before each read.
const READ_CHUNK: usize = 16 * 1024;
/// Interim (1xx) responses skipped before a final one; more is a broken upstream.
const MAX_INTERIM_RESPONSES: usize = 8;

/// How a [`Client`] connects, pools and waits.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Idle keep-alive connections kept per upstream.
    pub max_idle: usize,
    /// Connections (idle and busy) open at once per upstream; a request that
    /// finds all of them busy waits up to `connect_timeout` for one, then
    /// fails with [`SendError::AtCapacity`].
    pub max_connections: usize,
    /// Time to establish a TCP connection ([`SendError::Connect`] beyond).
    pub connect_timeout: Duration,
    /// Idle time after which a pooled connection is closed instead of reused.
    pub keep_alive: Duration,
    /// Longest wait for the client's next request-body bytes
    /// ([`SendError::RequestBodyTimeout`] beyond: the client is slow, not the upstream).
    pub body_timeout: Duration,
}

/// A connection and what was read from it and not consumed yet.
pub(crate) struct Conn {
    stream: TcpStream,
    /// Bytes read and not yet consumed.
    pub buf: BytesMut,
    since: Instant,
    /// Counts this connection against its pool's cap while it is open.
    _slot: Slot,
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
    pub fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        poll_fill(&mut self.stream, &mut self.buf, cx)
    }

    /// False when the upstream closed the idle connection or sent anything at
    /// all while it was idle (a byte nobody asked for puts the connection out
    /// of step). No system call unless the socket became readable meanwhile.
    fn still_open(&self) -> bool {
        let mut probe = [0u8; 1];
        matches!(self.stream.try_read(&mut probe), Err(e) if e.kind() == io::ErrorKind::WouldBlock)
    }

    /// After the request head went out on a reused connection: false when the
    /// upstream had closed it meanwhile (it never saw the request). One
    /// non-blocking `MSG_PEEK` (a real system call: tokio's cached readiness
    /// would not see a close that the reactor has not polled yet); bytes that
    /// already arrived stay in the socket as the start of the answer.
    fn recheck(&self) -> bool {
        let mut probe = [std::mem::MaybeUninit::<u8>::uninit(); 1];
        match socket2::SockRef::from(&self.stream).peek(&mut probe) {
            Ok(0) => false,
            Ok(_) => true,
            Err(e) => e.kind() == io::ErrorKind::WouldBlock,
        }
    }
}

/// One pool's count of open connections, released when the connection closes.
struct Slot(Weak<Pool>);

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(pool) = self.0.upgrade() {
            pool.open.set(pool.open.get().saturating_sub(1));
            pool.freed.notify_one();
        }
    }
}

/// The connections of one worker to one upstream.
pub(crate) struct Pool {
    authority: Rc<str>,
    idle: RefCell<Vec<Conn>>,
    /// Connections open (idle and busy).
    open: Cell<usize>,
    /// Signalled when a connection is released to `idle` or closed.
    freed: Notify,
    settings: Rc<Settings>,
}

impl Pool {
    /// A pooled connection that is still usable, if any.
    fn pooled(&self) -> Option<Conn> {
        let mut idle = self.idle.borrow_mut();
        while let Some(conn) = idle.pop() {
            if conn.since.elapsed() < self.settings.keep_alive && conn.still_open() {
                return Some(conn);
            }
        }
        None
    }

    /// Back to the idle list after a response was read to its end.
    pub fn release(&self, mut conn: Conn) {
        if !conn.buf.is_empty() {
            return; // bytes beyond the response: the connection is out of step
        }
        let mut idle = self.idle.borrow_mut();
        if idle.len() < self.settings.max_idle {
            conn.since = Instant::now();
            idle.push(conn);
            self.freed.notify_one();
        }
    }

    /// A connection for one request: a pooled one (when `reuse`), else a new
    /// one if the cap allows, else the first one released within the connect timeout.
    pub(crate) async fn checkout(self: &Rc<Self>, reuse: bool) -> Result<(Conn, bool), SendError> {
        let deadline = tokio::time::Instant::now() + self.settings.connect_timeout;
        loop {
            if reuse && let Some(conn) = self.pooled() {
                return Ok((conn, true));
            }
            if self.open.get() < self.settings.max_connections {
                self.open.set(self.open.get() + 1);
                let slot = Slot(Rc::downgrade(self));
                return Ok((self.connect(slot).await?, false));
            }
            if !reuse && let Some(conn) = self.idle.borrow_mut().pop() {
                drop(conn); // a fresh connection was asked for: make room for it
                continue;
            }
            tokio::time::timeout_at(deadline, self.freed.notified())
                .await
                .map_err(|_| SendError::AtCapacity(self.authority.to_string()))?;
        }
    }

    async fn connect(&self, slot: Slot) -> Result<Conn, SendError> {
        let authority = &*self.authority;
        let stream =
            tokio::time::timeout(self.settings.connect_timeout, TcpStream::connect(authority))
                .await
                .map_err(|_| SendError::Connect(format!("{authority}: connect timed out")))?
                .map_err(|e| SendError::Connect(format!("{authority}: {e}")))?;
        let _ = stream.set_nodelay(true);
        Ok(Conn {
            stream,
            buf: BytesMut::with_capacity(READ_CHUNK),
            since: Instant::now(),
            _slot: slot,
        })
    }
}

/// One worker's pools, by upstream authority. Not `Send`: each worker thread
/// owns one, and a request's own task drives its connection inline.
pub struct Client {
    pools: RefCell<HashMap<Rc<str>, Rc<Pool>>>,
    settings: Rc<Settings>,
}

impl Client {
    pub fn new(settings: Settings) -> Rc<Self> {
        let settings = Settings {
            max_idle: settings.max_idle.max(1),
            max_connections: settings.max_connections.max(1),
            ..settings
        };
        Rc::new(Self {
            pools: RefCell::new(HashMap::new()),
            settings: Rc::new(settings),
        })
    }

    /// The pool of `authority` (created once per upstream and worker).
    pub(crate) fn pool(&self, authority: &str) -> Rc<Pool> {
        let mut pools = self.pools.borrow_mut();
        if let Some(pool) = pools.get(authority) {
            return Rc::clone(pool);
        }
        let authority: Rc<str> = Rc::from(authority);
        let pool = Rc::new(Pool {
            authority: Rc::clone(&authority),
            idle: RefCell::new(Vec::new()),
            open: Cell::new(0),
            freed: Notify::new(),
            settings: Rc::clone(&self.settings),
        });
        pools.insert(authority, Rc::clone(&pool));
        pool
    }

    /// Idle connections pooled for `authority`.
    pub fn idle_connections(&self, authority: &str) -> usize {
        self.pools
            .borrow()
            .get(authority)
            .map_or(0, |pool| pool.idle.borrow().len())
    }

    /// Sends a request to `to`; `timeout` bounds the wait for the response head
    /// once the request was sent, and every later wait for body bytes.
    pub async fn send(
        self: &Rc<Self>,
        to: &UpstreamUrl,
        head: RequestHead,
        mut body: RequestBody,
        timeout: Duration,
    ) -> Result<Response, SendError> {
        let pool = self.pool(&to.authority);
        let method = head.method;
        let resendable = matches!(body, RequestBody::Empty) && method != Method::Other;
        let head = head.finish(&body)?;
        let times = Times {
            head: timeout,
            body: self.settings.body_timeout,
        };
        let (mut conn, parsed) = match pool.checkout(true).await? {
            (mut conn, true) => match exchange(&mut conn, &head, &mut body, !resendable, times)
                .await
            {
                Ok(parsed) => (conn, parsed),
                // Closed before it saw the request: nothing of it was processed.
                Err(Failure::Stale) => {
                    drop(conn);
                    let (mut conn, _) = pool.checkout(false).await?;
                    let parsed = exchange(&mut conn, &head, &mut body, false, times)
                        .await
                        .map_err(Failure::into_error)?;
                    (conn, parsed)
                }
                Err(Failure::BeforeAnswer(_)) if resendable => {
                    drop(conn);
                    let (mut conn, _) = pool.checkout(false).await?;
                    let parsed = exchange(&mut conn, &head, &mut RequestBody::Empty, false, times)
                        .await
                        .map_err(Failure::into_error)?;
                    (conn, parsed)
                }
                Err(failure) => return Err(failure.into_error()),
            },
            (mut conn, false) => {
                let parsed = exchange(&mut conn, &head, &mut body, false, times)
                    .await
                    .map_err(Failure::into_error)?;
                (conn, parsed)
            }
        };
        let framing = parsed.framing(method);
        let body = match ResponseBody::start(framing, &mut conn) {
            // Whole already: the connection is free before the client is answered.
            Some(complete) => {
                if parsed.keep_alive {
                    pool.release(conn);
                }
                complete
            }
            None => ResponseBody::streaming(conn, framing, parsed.keep_alive, pool, timeout),
        };
        Ok(Response {
            status: parsed.status,
            headers: parsed.headers,
            content_length: parsed.content_length,
            body,
        })
    }
}

#[derive(Clone, Copy)]
pub(crate) struct Times {
    /// From the end of the request to its response head (and for writes the upstream does not take).
    pub head: Duration,
    /// Between two pieces of the client's body.
    pub body: Duration,
}

/// How an exchange failed.
pub(crate) enum Failure {
    /// A reused connection turned out closed right after the head was written:
    /// the upstream never saw the request, which may be sent again (any method).
    Stale,
    /// Before any byte of an answer arrived (a safe request may be sent again).
    BeforeAnswer(SendError),
    After(SendError),
}

impl Failure {
    fn into_error(self) -> SendError {
        match self {
            Failure::Stale => SendError::Io(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "the upstream closed the connection",
            )),
            Failure::BeforeAnswer(e) | Failure::After(e) => e,
        }
    }
}

/// Writes the request and reads the response head (1xx answers skipped).
///
/// With `recheck` (a reused connection and a request that could not be sent
/// again otherwise) the head is written on its own first and the connection
/// re-checked: if the upstream closed it meanwhile, the request (whose body
/// was not touched yet) fails as [`Failure::Stale`]. Safe bodiless requests
/// skip this: they are sent again after any failure before an answer.
///
/// An upstream may answer before it has read the whole body (413, 401, …):
/// that answer is the response, the rest of the body is not sent, and the
/// connection is not reused.
pub(crate) async fn exchange(
    conn: &mut Conn,
    head: &Bytes,
    body: &mut RequestBody,
    recheck: bool,
    times: Times,
) -> Result<Head, Failure> {
    let write_head = async |conn: &mut Conn| {
        tokio::time::timeout(times.head, conn.stream.write_all(head))
            .await
            .map_err(|_| Failure::After(SendError::Timeout))?
            .map_err(|e| Failure::BeforeAnswer(e.into()))?;
        if recheck && !conn.recheck() {
            return Err(Failure::Stale);
        }
        Ok(())
    };
    let RequestBody::Stream { inner, length } = body else {
        write_head(conn).await?;
        return read_head_within(&mut conn.stream, &mut conn.buf, times.head).await;
    };
    let head: &[u8] = if recheck {
        write_head(conn).await?;
        &[]
    } else {
        head
    };
    let Conn { stream, buf, .. } = conn;
    let (mut reader, mut writer) = stream.split();
    let sending = write_with_body(&mut writer, head, inner, *length, times.body, times.head);
    let answer = read_head(&mut reader, buf);
    tokio::pin!(sending, answer);
    tokio::select! {
        biased;
        sent = &mut sending => match sent {
            // The head timeout starts once the whole request is sent.
            Ok(()) => tokio::time::timeout(times.head, answer)
                .await
                .map_err(|_| Failure::After(SendError::Timeout))?,
            // The upstream stopped reading: it may have answered first.
            Err(SendError::Io(e)) => match tokio::time::timeout(times.head, answer).await {
                Ok(Ok(early)) => Ok(Head { keep_alive: false, ..early }),
                _ => Err(Failure::After(SendError::Io(e))),
            },
            Err(e) => Err(Failure::After(e)),
        },
        early = &mut answer => early.map(|head| Head { keep_alive: false, ..head }),
    }
}

async fn read_head_within(
    reader: &mut (impl AsyncRead + Unpin),
    buf: &mut BytesMut,
    timeout: Duration,
) -> Result<Head, Failure> {
    tokio::time::timeout(timeout, read_head(reader, buf))
        .await
        .map_err(|_| Failure::After(SendError::Timeout))?
}

/// Reads a final response head into `buf`: `103 Early Hints` and the other
/// interim answers are dropped (at most [`MAX_INTERIM_RESPONSES`]),
/// `101 Switching Protocols` is refused (no upgrades through the client).
/// Cancel-safe: bytes read stay in `buf`, and a head is consumed only once complete.
async fn read_head(
    reader: &mut (impl AsyncRead + Unpin),
    buf: &mut BytesMut,
) -> Result<Head, Failure> {
    let mut interim = 0;
    loop {
        match Head::parse(buf).map_err(Failure::After)? {
            Some(head) if head.status == 101 => {
                return Err(Failure::After(SendError::Protocol(
                    "protocol upgrades are not proxied",
                )));
            }
            Some(head) if (100..200).contains(&head.status) => {
                interim += 1;
                if interim > MAX_INTERIM_RESPONSES {
                    return Err(Failure::After(SendError::Protocol(
                        "too many interim responses",
                    )));
                }
                continue;
            }
            Some(head) => return Ok(head),
            None => {}
        }
        let empty = buf.is_empty() && interim == 0;
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
