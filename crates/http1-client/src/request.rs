//! Request serialisation: the head written as bytes (every piece validated),
//! and the body framed by its length or chunked.

use crate::SendError;
use actix_http::error::PayloadError;
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use std::{pin::Pin, time::Duration};
use tokio::io::{AsyncWrite, AsyncWriteExt};

/// Body pieces up to this size are copied next to their framing (one write).
const COALESCE_BYTES: usize = 16 * 1024;

/// The request line and headers of an upstream request, written as bytes.
///
/// Every piece is checked as it is added: the method and header names must be
/// tokens, the target visible ASCII, header values free of CR, LF and NUL.
/// Callers pass values actix already validated, so a refusal means a bug
/// upstream of here; like `http::request::Builder`, the head remembers its
/// first error and [`Client::send`](crate::Client::send) returns it as
/// [`SendError::InvalidRequest`] without writing anything. The framing header
/// (`Content-Length` or `Transfer-Encoding`) is added from the body.
pub struct RequestHead {
    buf: BytesMut,
    pub(crate) method: Method,
    invalid: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Head,
    /// GET and OPTIONS: safe to send again when a reused connection broke.
    Idempotent,
    Other,
}

/// RFC 9110 §5.6.2 `tchar`.
fn is_token(bytes: &[u8]) -> bool {
    !bytes.is_empty()
        && bytes.iter().all(|b| {
            b.is_ascii_alphanumeric()
                || matches!(
                    b,
                    b'!' | b'#'
                        | b'$'
                        | b'%'
                        | b'&'
                        | b'\''
                        | b'*'
                        | b'+'
                        | b'-'
                        | b'.'
                        | b'^'
                        | b'_'
                        | b'`'
                        | b'|'
                        | b'~'
                )
        })
}

/// A field value that cannot end its line early: no CR, LF or NUL.
fn is_field_value(bytes: &[u8]) -> bool {
    !bytes.iter().any(|b| matches!(b, b'\r' | b'\n' | b'\0'))
}

impl RequestHead {
    /// `METHOD base_path+target HTTP/1.1` and `Host`.
    pub fn new(method: &str, base_path: &str, target: &str, host: &str) -> Self {
        let mut head = Self {
            buf: BytesMut::with_capacity(1024),
            method: match method {
                "HEAD" => Method::Head,
                "GET" | "OPTIONS" => Method::Idempotent,
                _ => Method::Other,
            },
            invalid: None,
        };
        if !is_token(method.as_bytes()) {
            head.invalid = Some("invalid method");
        }
        let visible = |s: &str| s.bytes().all(|b| b.is_ascii_graphic());
        if !visible(base_path) || !visible(target) || !target.starts_with(['/', '*']) {
            head.invalid = Some("invalid request target");
        }
        if !is_field_value(host.as_bytes()) {
            head.invalid = Some("invalid host");
        }
        let buf = &mut head.buf;
        buf.extend_from_slice(method.as_bytes());
        buf.extend_from_slice(b" ");
        buf.extend_from_slice(base_path.as_bytes());
        buf.extend_from_slice(target.as_bytes());
        buf.extend_from_slice(b" HTTP/1.1\r\nhost: ");
        buf.extend_from_slice(host.as_bytes());
        buf.extend_from_slice(b"\r\n");
        head
    }

    /// Adds a header line (refused, see the type's docs, unless the name is a
    /// token and the value holds no CR, LF or NUL).
    pub fn header(&mut self, name: &str, value: &[u8]) {
        if !is_token(name.as_bytes()) {
            self.invalid.get_or_insert("invalid header name");
            return;
        }
        if !is_field_value(value) {
            self.invalid.get_or_insert("invalid header value");
            return;
        }
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.extend_from_slice(b": ");
        self.buf.extend_from_slice(value);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// What was written so far.
    pub fn written(&self) -> &[u8] {
        &self.buf
    }

    /// The finished head for `body` (framing header and the blank line), or the
    /// first refusal.
    pub(crate) fn finish(mut self, body: &RequestBody) -> Result<Bytes, SendError> {
        if let Some(reason) = self.invalid {
            return Err(SendError::InvalidRequest(reason));
        }
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
        Ok(self.buf.freeze())
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

/// Writes `head` (unless empty: already written) and the body (framed by
/// `length`, chunked without one). The head goes out with the body's first
/// piece, and small pieces go out with their framing, so a small request is
/// one write.
///
/// Waiting for the client's next piece is bounded by `body_timeout`
/// ([`SendError::RequestBodyTimeout`]); waiting for the upstream to take the
/// bytes by `write_timeout` ([`SendError::Timeout`]).
pub(crate) async fn write_with_body(
    stream: &mut (impl AsyncWrite + Unpin),
    head: &[u8],
    inner: &mut Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>>,
    length: Option<u64>,
    body_timeout: Duration,
    write_timeout: Duration,
) -> Result<(), SendError> {
    let mut out = BytesMut::with_capacity(head.len() + 1024);
    out.extend_from_slice(head);
    let mut sent = 0u64;
    loop {
        let next = tokio::time::timeout(body_timeout, inner.next())
            .await
            .map_err(|_| SendError::RequestBodyTimeout)?;
        let chunk = match next {
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
            write_within(stream, &mut out, write_timeout).await?;
            write_within(stream, &mut chunk.clone(), write_timeout).await?;
        }
        if length.is_none() {
            out.extend_from_slice(b"\r\n");
        }
        write_within(stream, &mut out, write_timeout).await?;
    }
    if length.is_some_and(|n| sent < n) {
        return Err(SendError::RequestBody(PayloadError::Incomplete(None)));
    }
    if length.is_none() {
        out.extend_from_slice(b"0\r\n\r\n");
    }
    if !out.is_empty() {
        write_within(stream, &mut out, write_timeout).await?;
    }
    Ok(())
}

/// Writes all of `out`, waiting at most `timeout` for the peer to take it.
async fn write_within(
    stream: &mut (impl AsyncWrite + Unpin),
    out: &mut impl bytes::Buf,
    timeout: Duration,
) -> Result<(), SendError> {
    tokio::time::timeout(timeout, stream.write_all_buf(out))
        .await
        .map_err(|_| SendError::Timeout)?
        .map_err(SendError::Io)
}

/// `<hex size>\r\n` in `buf`.
pub(crate) fn chunk_size_line(len: usize, buf: &mut [u8; 18]) -> &[u8] {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_size_lines_are_hex() {
        let mut buf = [0u8; 18];
        assert_eq!(chunk_size_line(0, &mut buf), b"0\r\n");
        assert_eq!(chunk_size_line(255, &mut buf), b"ff\r\n");
        assert_eq!(chunk_size_line(65536, &mut buf), b"10000\r\n");
    }

    fn refusal(head: RequestHead) -> Option<&'static str> {
        match head.finish(&RequestBody::Empty) {
            Err(SendError::InvalidRequest(reason)) => Some(reason),
            _ => None,
        }
    }

    #[test]
    fn header_names_and_values_that_could_split_the_head_are_refused() {
        let ok = || RequestHead::new("GET", "", "/x", "up:80");
        let mut head = ok();
        head.header("x-fine", b"a value, with \"quotes\"\tand tab");
        assert_eq!(
            &head.finish(&RequestBody::Empty).unwrap()[..],
            b"GET /x HTTP/1.1\r\nhost: up:80\r\nx-fine: a value, with \"quotes\"\tand tab\r\n\r\n"
        );
        for value in [&b"a\r\nx-injected: 1"[..], b"a\nb", b"a\rb", b"a\0b"] {
            let mut head = ok();
            head.header("x-bad", value);
            assert_eq!(refusal(head), Some("invalid header value"), "{value:?}");
        }
        for name in ["x bad", "x:bad", "", "x\r\nbad", "x\0"] {
            let mut head = ok();
            head.header(name, b"1");
            assert_eq!(refusal(head), Some("invalid header name"), "{name:?}");
        }
        assert_eq!(
            refusal(RequestHead::new("GET", "", "/x y", "up")),
            Some("invalid request target")
        );
        assert_eq!(
            refusal(RequestHead::new("GET", "", "/x\r\n", "up")),
            Some("invalid request target")
        );
        assert_eq!(
            refusal(RequestHead::new("G T", "", "/x", "up")),
            Some("invalid method")
        );
        assert_eq!(
            refusal(RequestHead::new("GET", "", "/x", "up\r\nx: 1")),
            Some("invalid host")
        );
    }
}
