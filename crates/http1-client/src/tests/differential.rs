//! Differential tests: the response-head parser and the body decoders against
//! hyper's HTTP/1.1 client on generated responses, many of them malformed in
//! the ways request smuggling exploits (signed or listed lengths, duplicate
//! lengths, odd transfer codings, bare LF, obs-fold, chunk sizes with signs,
//! spaces or `0x`, bytes after the body).
//!
//! The property: whenever this client accepts a response, hyper accepts it too
//! with the same status and the same body. This client may refuse more (it is
//! the stricter), never read a different message out of the same bytes.

use crate::{
    SendError,
    body::{Framing, Step},
    request::Method,
    response::Head,
};
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use proptest::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What this crate reads out of `bytes` (the whole stream, then EOF) for a GET.
fn ours(bytes: &[u8]) -> Result<(u16, Vec<u8>), SendError> {
    let mut buf = BytesMut::from(bytes);
    let head = loop {
        match Head::parse(&mut buf)? {
            Some(head) if head.status == 101 => return Err(SendError::Protocol("upgrade")),
            Some(head) if head.status < 200 => continue,
            Some(head) => break head,
            None => return Err(SendError::Protocol("truncated head")),
        }
    };
    let body = match head.framing(Method::Idempotent) {
        Framing::Length(n) if (buf.len() as u64) < n => {
            return Err(SendError::Protocol("truncated body"));
        }
        Framing::Length(n) => buf[..n as usize].to_vec(),
        Framing::UntilClose => buf.to_vec(),
        Framing::Chunked(mut state) => {
            let mut out = Vec::new();
            loop {
                match state.step(&mut buf)? {
                    Step::Data(piece) => out.extend_from_slice(&piece),
                    Step::End => break out,
                    Step::NeedMore => return Err(SendError::Protocol("truncated chunked body")),
                }
            }
        }
    };
    Ok((head.status, body))
}

/// What hyper's client reads out of the same bytes.
async fn hypers(bytes: Vec<u8>) -> Result<(u16, Vec<u8>), String> {
    let (client_io, mut server_io) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        let mut seen = Vec::new();
        let mut byte = [0u8; 1];
        while !seen.ends_with(b"\r\n\r\n") {
            if server_io.read(&mut byte).await.unwrap_or(0) == 0 {
                return;
            }
            seen.push(byte[0]);
        }
        let _ = server_io.write_all(&bytes).await;
        let _ = server_io.shutdown().await;
    });
    let io = hyper_util::rt::TokioIo::new(client_io);
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake::<_, http_body_util::Empty<Bytes>>(io)
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let request = hyper::Request::get("/x")
        .header("host", "up")
        .body(http_body_util::Empty::new())
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, body.to_vec()))
}

/// A `Content-Length` line for a body of `n` bytes, honest or not.
fn content_length(n: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(format!("Content-Length: {n}")),
        1 => Just(format!("Content-Length: +{n}")),
        1 => Just(format!("Content-Length: 0{n}")),
        1 => Just(format!("Content-Length: {n}, {n}")),
        1 => Just(format!("Content-Length: {n} {n}")),
        1 => Just(format!("Content-Length: {}", n + 1)),
        1 => Just(format!("Content-Length: {}", n.saturating_sub(1))),
        1 => Just(format!("Content-Length: 0x{n:x}")),
        1 => Just(format!("Content-Length: -{n}")),
        1 => Just(format!("Content-Length:{n}\r\nContent-Length: {n}")),
        1 => Just(format!("Content-Length: {n}\r\nContent-Length: {}", n + 1)),
    ]
}

fn transfer_encoding() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just("Transfer-Encoding: chunked".to_owned()),
        1 => Just("Transfer-Encoding: Chunked".to_owned()),
        1 => Just("Transfer-Encoding: gzip, chunked".to_owned()),
        1 => Just("Transfer-Encoding: chunked, gzip".to_owned()),
        1 => Just("Transfer-Encoding: identity".to_owned()),
        1 => Just("Transfer-Encoding:  chunked ".to_owned()),
        1 => Just("Transfer-Encoding: xchunked".to_owned()),
        1 => Just("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked".to_owned()),
        1 => Just("Transfer-Encoding:\r\n chunked".to_owned()),
    ]
}

/// A chunk-size line for `n`, mostly well formed.
fn chunk_size(n: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        6 => Just(format!("{n:x}\r\n")),
        1 => Just(format!("{n:X}\r\n")),
        1 => Just(format!("00{n:x}\r\n")),
        1 => Just(format!("{n:x};ext=\"v\"\r\n")),
        1 => Just(format!("{n:x} \r\n")),
        1 => Just(format!(" {n:x}\r\n")),
        1 => Just(format!("+{n:x}\r\n")),
        1 => Just(format!("0x{n:x}\r\n")),
        1 => Just(format!("{n:x}\n")),
        1 => Just(format!("{n:x};a\nb\r\n")),
        1 => Just(format!("{n:x} ;x\r\n")),
    ]
}

/// A chunked encoding of `pieces` (mostly well formed), with its end.
fn chunked(pieces: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let sizes: Vec<_> = pieces.iter().map(|p| chunk_size(p.len())).collect();
    let ending = prop_oneof![
        6 => Just(b"0\r\n\r\n".to_vec()),
        1 => Just(b"0\r\nx-trailer: 1\r\n\r\n".to_vec()),
        1 => Just(b"0\n\n".to_vec()),
        1 => Just(b"0\r\n".to_vec()),
        1 => Just(b"000\r\n\r\n".to_vec()),
        1 => Just(b"\r\n\r\n".to_vec()),
    ];
    let data_end =
        prop_oneof![8 => Just(&b"\r\n"[..]), 1 => Just(&b"\n"[..]), 1 => Just(&b"x\r\n"[..])];
    (
        sizes,
        proptest::collection::vec(data_end, pieces.len()),
        ending,
    )
        .prop_map(move |(sizes, ends, ending)| {
            let mut out = Vec::new();
            for ((size, piece), end) in sizes.iter().zip(&pieces).zip(ends) {
                out.extend_from_slice(size.as_bytes());
                out.extend_from_slice(piece);
                out.extend_from_slice(end);
            }
            out.extend_from_slice(&ending);
            out
        })
}

fn piece() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        prop_oneof![
            Just(b'a'),
            Just(b'0'),
            Just(b'\r'),
            Just(b'\n'),
            any::<u8>()
        ],
        1..24,
    )
}

/// A whole response: status line, framing headers, other headers, body, extra bytes.
fn response() -> impl Strategy<Value = Vec<u8>> {
    let status = prop_oneof![
        6 => Just("HTTP/1.1 200 OK"),
        1 => Just("HTTP/1.0 200 OK"),
        1 => Just("HTTP/1.1 404 Not Found"),
        1 => Just("HTTP/1.1 204 No Content"),
        1 => Just("HTTP/1.1 304 Not Modified"),
        1 => Just("HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\nHTTP/1.1 200 OK"),
        1 => Just("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created"),
    ];
    let other = prop_oneof![
        3 => Just(String::new()),
        1 => Just("\r\nConnection: close".to_owned()),
        1 => Just("\r\nConnection: keep-alive".to_owned()),
        1 => Just("\r\nX-Folded: a\r\n b".to_owned()),
        1 => Just("\r\nX-Space : a".to_owned()),
        1 => Just("\r\nX-Other: v".to_owned()),
    ];
    let framing = (
        proptest::collection::vec(piece(), 0..4),
        any::<bool>(),
        any::<bool>(),
        0u8..3,
    );
    (
        status,
        other,
        framing,
        proptest::collection::vec(any::<u8>(), 0..3),
    )
        .prop_flat_map(
            |(status, other, (pieces, with_length, with_te, line_ends), extra)| {
                let total: usize = pieces.iter().map(Vec::len).sum();
                let length = if with_length {
                    content_length(total).boxed()
                } else {
                    Just(String::new()).boxed()
                };
                let te = if with_te {
                    transfer_encoding().boxed()
                } else {
                    Just(String::new()).boxed()
                };
                let body = if with_te {
                    chunked(pieces.clone()).boxed()
                } else {
                    Just(pieces.concat()).boxed()
                };
                (length, te, body).prop_map(move |(length, te, body)| {
                    let mut head = status.to_owned();
                    for line in [&length, &te] {
                        if !line.is_empty() {
                            head.push_str("\r\n");
                            head.push_str(line);
                        }
                    }
                    head.push_str(&other);
                    head.push_str("\r\n\r\n");
                    if line_ends == 0 {
                        head = head.replace("\r\n", "\n");
                    }
                    let mut bytes = head.into_bytes();
                    bytes.extend_from_slice(&body);
                    bytes.extend_from_slice(&extra);
                    bytes
                })
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn what_we_accept_hyper_reads_the_same(bytes in response()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        if let Ok(mine) = ours(&bytes) {
            let theirs = runtime.block_on(hypers(bytes.clone()));
            prop_assert_eq!(
                Ok(mine), theirs,
                "response {:?}", String::from_utf8_lossy(&bytes)
            );
        }
    }

    /// Well-formed chunked bodies split anywhere decode to what hyper decodes.
    #[test]
    fn chunked_bodies_agree_with_hyper(pieces in proptest::collection::vec(piece(), 0..6), split in any::<prop::sample::Index>()) {
        let mut encoded = Vec::new();
        for p in &pieces {
            encoded.extend_from_slice(format!("{:x}\r\n", p.len()).as_bytes());
            encoded.extend_from_slice(p);
            encoded.extend_from_slice(b"\r\n");
        }
        encoded.extend_from_slice(b"0\r\n\r\n");
        let at = split.index(encoded.len() + 1);
        let decoded = crate::body::tests::decode_all(&[&encoded[..at], &encoded[at..]]).unwrap();
        prop_assert_eq!(&decoded, &pieces.concat());
        let mut response = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
        response.extend_from_slice(&encoded);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        prop_assert_eq!(runtime.block_on(hypers(response)), Ok((200, decoded)));
    }
}
