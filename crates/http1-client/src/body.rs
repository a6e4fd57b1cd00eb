//! Response bodies: framing (length, chunked, until close), the chunked
//! decoder, and the body actix streams to the client.

use crate::{
    SendError,
    pool::{Conn, Pool},
};
use actix_http::body::{BodySize, MessageBody};
use bytes::{Buf, Bytes, BytesMut};
use std::{
    future::Future,
    pin::Pin,
    rc::Rc,
    task::{Context, Poll, ready},
    time::Duration,
};

/// Bound on one chunk-size or trailer line of a chunked body.
const MAX_LINE_BYTES: usize = 4 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// This many bytes are left.
    Length(u64),
    Chunked(Chunked),
    UntilClose,
}

/// State of a chunked body's decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Chunked {
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

pub(crate) enum Step {
    Data(Bytes),
    NeedMore,
    End,
}

/// The end of the CRLF-terminated line at the start of `buf` (the index of
/// its LF), `None` while incomplete. A bare LF, or a control character other
/// than HTAB inside the line, is refused: two parsers must not disagree on
/// where a line ends.
fn line_end(buf: &[u8]) -> Result<Option<usize>, SendError> {
    let window = &buf[..buf.len().min(MAX_LINE_BYTES + 2)];
    for (i, b) in window.iter().enumerate() {
        match *b {
            b'\n' if i > 0 && buf[i - 1] == b'\r' => return Ok(Some(i)),
            b'\n' => return Err(SendError::Protocol("bare LF in a chunked body")),
            b'\r' if window.get(i + 1).is_some_and(|n| *n != b'\n') => {
                return Err(SendError::Protocol("bare CR in a chunked body"));
            }
            b'\r' | b'\t' => {}
            0..=0x1f | 0x7f => {
                return Err(SendError::Protocol("control character in a chunked body"));
            }
            _ => {}
        }
    }
    if buf.len() > MAX_LINE_BYTES {
        return Err(SendError::Protocol("chunked line too long"));
    }
    Ok(None)
}

/// A chunk-size line: hex digits only (no sign, no `0x`, no whitespace), then
/// an optional extension, then CRLF. Returns (bytes of the line, size).
fn chunk_size(buf: &[u8]) -> Result<Option<(usize, u64)>, SendError> {
    const INVALID: SendError = SendError::Protocol("invalid chunk size");
    match buf.first() {
        None => return Ok(None),
        Some(b) if !b.is_ascii_hexdigit() => return Err(INVALID),
        Some(_) => {}
    }
    let Some(end) = line_end(buf)? else {
        return Ok(None);
    };
    let digits = buf.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits > 16 || !matches!(buf[digits], b';' | b'\r') {
        return Err(INVALID);
    }
    match httparse::parse_chunk_size(&buf[..=end]) {
        Ok(httparse::Status::Complete((used, size))) if used == end + 1 => Ok(Some((used, size))),
        _ => Err(INVALID),
    }
}

impl Chunked {
    /// Decodes from the start of `buf` as far as one data piece.
    pub fn step(&mut self, buf: &mut BytesMut) -> Result<Step, SendError> {
        loop {
            match *self {
                Chunked::Size => {
                    let Some((used, size)) = chunk_size(buf)? else {
                        return Ok(Step::NeedMore);
                    };
                    buf.advance(used);
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
                    match (buf.first(), buf.get(1)) {
                        (None, _) | (Some(b'\r'), None) => return Ok(Step::NeedMore),
                        (Some(b'\r'), Some(b'\n')) => buf.advance(2),
                        _ => return Err(SendError::Protocol("chunk data longer than its size")),
                    }
                    *self = Chunked::Size;
                }
                Chunked::Trailer => {
                    let Some(end) = line_end(buf)? else {
                        return Ok(Step::NeedMore);
                    };
                    buf.advance(end + 1);
                    if end == 1 {
                        *self = Chunked::Done;
                    }
                }
                Chunked::Done => return Ok(Step::End),
            }
        }
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
    pool: Rc<Pool>,
    /// Longest wait for the next bytes of the body (the route's timeout).
    idle: Duration,
    /// Armed while waiting for bytes; reset whenever some arrive.
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl ResponseBody {
    /// The body, when everything of it is already in the buffer.
    pub(crate) fn start(framing: Framing, conn: &mut Conn) -> Option<ResponseBody> {
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

    /// A body read from `conn` as the client takes it; the connection goes
    /// back to `pool` once the body was read to its end.
    pub(crate) fn streaming(
        conn: Conn,
        framing: Framing,
        keep_alive: bool,
        pool: Rc<Pool>,
        idle: Duration,
    ) -> ResponseBody {
        ResponseBody {
            state: BodyState::Streaming(Streaming {
                conn: Some(conn),
                framing,
                keep_alive,
                pool,
                idle,
                stall: None,
            }),
        }
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
            self.pool.release(conn);
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
pub(crate) mod tests {
    use super::*;

    pub(crate) fn decode_all(input: &[&[u8]]) -> Result<Vec<u8>, SendError> {
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
    fn chunk_sizes_are_hex_digits_only_and_lines_end_in_crlf() {
        for bad in [
            &b"+5\r\nhello\r\n0\r\n\r\n"[..],
            b" 5\r\nhello\r\n0\r\n\r\n",
            b"5 \r\nhello\r\n0\r\n\r\n",
            b"5 ;x\r\nhello\r\n0\r\n\r\n",
            b"0x5\r\nhello\r\n0\r\n\r\n",
            b"\r\nhello\r\n0\r\n\r\n",
            b"5\nhello\r\n0\r\n\r\n",
            b"5;a\nb\r\nhello\r\n0\r\n\r\n",
            b"5\r\nhello\n0\r\n\r\n",
            b"5\r\nhello\r\n0\r\n\n",
            b"5\r\nhello\r\n0\r\nx: 1\n\r\n",
            b"5\r\nhello\r\n0\r\n\r\r\n",
            b"-5\r\nhello\r\n0\r\n\r\n",
            b"11111111111111111\r\n",
        ] {
            assert!(
                decode_all(&[bad]).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
            let bytewise: Vec<&[u8]> = bad.chunks(1).collect();
            assert!(
                decode_all(&bytewise).is_err(),
                "{:?} bytewise",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(
            decode_all(&[b"A\r\n0123456789\r\n0\r\n\r\n"]).unwrap(),
            b"0123456789"
        );
        assert_eq!(
            decode_all(&[b"5;name=\"v\"\r\nhello\r\n0;x\r\n\r\n"]).unwrap(),
            b"hello"
        );
    }
}
