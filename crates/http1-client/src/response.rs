//! Response-head parsing (`httparse`, into actix's header types without
//! copying values) and the framing a head gives its body (RFC 9112 §6.3).

use crate::{SendError, body::Chunked, body::Framing, request::Method};
use actix_http::header::{self, HeaderName, HeaderValue};
use bytes::BytesMut;

/// Bound on a response head (status line and headers).
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Bound on the number of response headers.
const MAX_HEADERS: usize = 128;

/// A `Content-Length` value: ASCII digits only (no sign, no inner whitespace,
/// no list), at most 19 of them so it fits a `u64` — the strictness that
/// keeps two parsers from reading two different lengths (the bug class of
/// hyper's CVE-2021-32715). Surrounding whitespace is the field's OWS, which
/// `httparse` (and actix) already strip.
pub fn parse_content_length(value: &[u8]) -> Option<u64> {
    if value.is_empty() || value.len() > 19 || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(value.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
}

/// A parsed response head.
pub(crate) struct Head {
    pub status: u16,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub content_length: Option<u64>,
    /// `Transfer-Encoding`, if any: Some(true) when chunked is its final coding.
    pub transfer_encoding: Option<bool>,
    pub keep_alive: bool,
}

impl Head {
    /// Parses (and consumes) a complete head at the start of `buf`; `None` if incomplete.
    pub fn parse(buf: &mut BytesMut) -> Result<Option<Head>, SendError> {
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
            if name == header::CONTENT_LENGTH {
                let n = parse_content_length(h.value)
                    .ok_or(SendError::Protocol("invalid Content-Length"))?;
                if content_length.is_some_and(|m| m != n) {
                    return Err(SendError::Protocol("conflicting Content-Length"));
                }
                content_length = Some(n);
            } else if name == header::TRANSFER_ENCODING {
                // Chunked only when it is the final coding.
                let chunked = h
                    .value
                    .rsplit(|b| *b == b',')
                    .next()
                    .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
                transfer_encoding = Some(chunked);
            } else if name == header::CONNECTION {
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
        // RFC 9112 §6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
        if transfer_encoding.is_some() && !http11 {
            return Err(SendError::Protocol(
                "Transfer-Encoding in an HTTP/1.0 response",
            ));
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
    pub fn framing(&self, method: Method) -> Framing {
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn content_length_is_digits_only() {
        assert_eq!(parse_content_length(b"0"), Some(0));
        assert_eq!(parse_content_length(b"007"), Some(7));
        assert_eq!(
            parse_content_length(b"9999999999999999999"),
            Some(9_999_999_999_999_999_999)
        );
        for bad in [
            &b""[..],
            b"+5",
            b"-5",
            b"5 5",
            b"5,5",
            b"0x5",
            b"5\n",
            b"\n5",
            b"5\t",
            b"18446744073709551616",
            b"99999999999999999999",
        ] {
            assert_eq!(parse_content_length(bad), None, "{bad:?}");
        }
        // Through the head parser: a signed length is a malformed response.
        let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\ncontent-length: +3\r\n\r\nabc"[..]);
        assert!(matches!(
            Head::parse(&mut buf),
            Err(SendError::Protocol("invalid Content-Length"))
        ));
        // Surrounding OWS is the field's, not the number's.
        let mut buf = BytesMut::from(&b"HTTP/1.1 200 OK\r\ncontent-length:  3 \r\n\r\nabc"[..]);
        assert_eq!(
            Head::parse(&mut buf).unwrap().unwrap().content_length,
            Some(3)
        );
    }
}
