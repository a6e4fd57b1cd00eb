//! The client against raw TCP upstreams that misbehave on purpose.

use crate::{
    Client, RequestBody, RequestHead, Response, SendError, Settings, UpstreamUrl,
    pool::{Failure, Times, exchange},
};
use actix_http::{body::MessageBody, error::PayloadError};
use bytes::Bytes;
use std::{
    rc::Rc,
    time::{Duration, Instant},
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod differential;

const TIMEOUT: Duration = Duration::from_secs(2);

fn settings() -> Settings {
    Settings {
        max_idle: 8,
        max_connections: 64,
        connect_timeout: Duration::from_secs(1),
        keep_alive: Duration::from_secs(5),
        body_timeout: Duration::from_secs(2),
    }
}

fn test_client() -> Rc<Client> {
    Client::new(settings())
}

fn idle(client: &Client, to: &UpstreamUrl) -> usize {
    client.idle_connections(&to.authority)
}

fn get(to: &UpstreamUrl) -> RequestHead {
    RequestHead::new("GET", &to.base_path, "/x", &to.authority)
}

/// Reads one request head (and nothing after it); false at end of stream.
async fn read_request_head(socket: &mut tokio::net::TcpStream) -> bool {
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") {
        match socket.read(&mut byte).await {
            Ok(0) | Err(_) => return false,
            Ok(_) => request.push(byte[0]),
        }
    }
    true
}

/// A raw upstream answering each connection's requests with `answers` in turn.
async fn raw_upstream(answers: Vec<&'static [u8]>, close_after_each: bool) -> UpstreamUrl {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::task::spawn_local(async move {
        let mut answers = answers.into_iter();
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            while read_request_head(&mut socket).await {
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

async fn body_of(response: Response) -> Vec<u8> {
    collect(response).await.unwrap()
}

async fn collect(response: Response) -> Result<Vec<u8>, SendError> {
    let mut out = Vec::new();
    let mut body = std::pin::pin!(response.body);
    while let Some(piece) =
        std::future::poll_fn(|cx| MessageBody::poll_next(body.as_mut(), cx)).await
    {
        out.extend_from_slice(&piece?);
    }
    Ok(out)
}

/// A raw upstream answering with the exact bytes it received (after 100 ms of quiet).
async fn mirror_upstream() -> UpstreamUrl {
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

async fn local<F: Future>(f: F) -> F::Output {
    tokio::task::LocalSet::new().run_until(f).await
}

#[tokio::test]
async fn request_bodies_are_framed_by_length_or_chunked() {
    local(async {
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

        let mut bad = post();
        bad.header("x-injected", b"1\r\nx-evil: 2");
        let refused = client.send(&to, bad, RequestBody::Empty, t).await;
        assert!(matches!(refused, Err(SendError::InvalidRequest("invalid header value"))));
    })
    .await;
}

#[tokio::test]
async fn chunked_and_close_delimited_bodies_and_reuse() {
    local(async {
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
        assert_eq!(idle(&client, &to), 1);
        let r = client.send(&to, get(&to), RequestBody::Empty, t).await.unwrap();
        assert_eq!(body_of(r).await, b"ok");

        let to = raw_upstream(vec![b"HTTP/1.0 200 OK\r\n\r\nuntil close"], true).await;
        let r = client.send(&to, get(&to), RequestBody::Empty, t).await.unwrap();
        assert_eq!(body_of(r).await, b"until close");
        assert_eq!(idle(&client, &to), 0, "close-delimited: not pooled");
    })
    .await;
}

#[tokio::test]
async fn an_upstream_answering_before_reading_the_body_is_heard() {
    local(async {
        // Reads the head only, refuses at once, and reads nothing more.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::task::spawn_local(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            read_request_head(&mut socket).await;
            socket
                .write_all(b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 8\r\n\r\ntoo much")
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
        assert_eq!(idle(&client, &to), 0, "half-sent request: not pooled");
    })
    .await;
}

#[tokio::test]
async fn a_body_that_stalls_is_cut_off_after_the_timeout() {
    local(async {
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
        let first = std::future::poll_fn(|cx| MessageBody::poll_next(body.as_mut(), cx)).await;
        assert_eq!(&first.unwrap().unwrap()[..], b"hello");
        let waiting = Instant::now();
        let second = std::future::poll_fn(|cx| MessageBody::poll_next(body.as_mut(), cx)).await;
        assert!(matches!(second, Some(Err(SendError::Stalled))));
        assert!(
            waiting.elapsed() >= Duration::from_millis(150),
            "{:?}",
            waiting.elapsed()
        );
        assert!(waiting.elapsed() < Duration::from_secs(2));
        assert_eq!(idle(&client, &to), 0, "a stalled connection is not pooled");
    })
    .await;
}

#[tokio::test]
async fn requests_on_a_connection_the_upstream_closed_go_to_a_new_one() {
    local(async {
        // Answers, then closes each connection without saying so.
        let to = raw_upstream(
            vec![
                b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\na",
                b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nb",
                b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nc",
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
        // Not only safe requests: the closed connection is noticed before use.
        let post = RequestHead::new("POST", "", "/x", &to.authority);
        let r = client
            .send(&to, post, body(&["x"], Some(1)), t)
            .await
            .unwrap();
        assert_eq!(body_of(r).await, b"c");
    })
    .await;
}

/// An upstream answering every request with the number of its connection
/// (1, 2, …), writing `after_each` behind every answer.
async fn numbering_upstream(after_each: &'static [u8], delay: Duration) -> UpstreamUrl {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::task::spawn_local(async move {
        let mut number = 0;
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            number += 1;
            tokio::task::spawn_local(async move {
                while read_request_head(&mut socket).await {
                    tokio::time::sleep(delay).await;
                    let answer = format!("HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n{number}");
                    if socket.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    let _ = socket.write_all(after_each).await;
                }
            });
        }
    });
    UpstreamUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap()
}

#[tokio::test]
async fn a_pooled_connection_that_receives_any_byte_is_closed() {
    local(async {
        let to = numbering_upstream(b"H", Duration::ZERO).await;
        let (client, t) = (test_client(), TIMEOUT);
        let r = client
            .send(&to, get(&to), RequestBody::Empty, t)
            .await
            .unwrap();
        assert_eq!(body_of(r).await, b"1");
        assert_eq!(idle(&client, &to), 1);
        // The stray byte arrives while the connection is idle in the pool.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let r = client
            .send(&to, get(&to), RequestBody::Empty, t)
            .await
            .unwrap();
        assert_eq!(body_of(r).await, b"2", "answered on a new connection");

        // The same upstream without stray bytes: the connection is reused.
        let to = numbering_upstream(b"", Duration::ZERO).await;
        for _ in 0..3 {
            let r = client
                .send(&to, get(&to), RequestBody::Empty, t)
                .await
                .unwrap();
            assert_eq!(body_of(r).await, b"1");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_reused_connection_is_rechecked_after_its_head_is_written() {
    local(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let to = UpstreamUrl::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        let client = test_client();
        let pool = client.pool(&to.authority);
        let (connected, accepted) = tokio::join!(pool.checkout(false), listener.accept());
        let (conn, _) = connected.unwrap();
        // The upstream closes the connection (an idle timeout racing the request).
        drop(accepted.unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
        let touched = Rc::new(std::cell::Cell::new(false));
        let flag = Rc::clone(&touched);
        let body = RequestBody::Stream {
            inner: Box::pin(futures_util::stream::poll_fn(move |_| {
                flag.set(true);
                std::task::Poll::Ready(Some(Ok(Bytes::from_static(b"x"))))
            })),
            length: Some(1),
        };
        let mut conn = conn;
        let mut body = body;
        let head = RequestHead::new("POST", "", "/x", "up")
            .finish(&body)
            .unwrap();
        let times = Times {
            head: TIMEOUT,
            body: TIMEOUT,
        };
        let stale = matches!(
            exchange(&mut conn, &head, &mut body, true, times).await,
            Err(Failure::Stale)
        );
        assert!(stale, "the close was noticed after the head");
        assert!(
            !touched.get(),
            "the body was not touched, so it can be sent again"
        );
    })
    .await;
}

#[tokio::test]
async fn connections_per_upstream_are_capped() {
    local(async {
        let to = numbering_upstream(b"", Duration::from_millis(300)).await;
        let one = |connect_timeout| {
            Client::new(Settings {
                max_connections: 1,
                connect_timeout,
                ..settings()
            })
        };
        // Two requests at once through one allowed connection: the second waits for it.
        let client = one(Duration::from_secs(2));
        let (a, b) = tokio::join!(
            client.send(&to, get(&to), RequestBody::Empty, TIMEOUT),
            client.send(&to, get(&to), RequestBody::Empty, TIMEOUT)
        );
        assert_eq!(body_of(a.unwrap()).await, b"1");
        assert_eq!(
            body_of(b.unwrap()).await,
            b"1",
            "the same connection, after the first"
        );

        // Waiting longer than the connect timeout for a connection: refused as at capacity.
        let client = one(Duration::from_millis(100));
        let (a, b) = tokio::join!(
            client.send(&to, get(&to), RequestBody::Empty, TIMEOUT),
            client.send(&to, get(&to), RequestBody::Empty, TIMEOUT)
        );
        assert_eq!(body_of(a.unwrap()).await, b"2");
        assert!(matches!(b, Err(SendError::AtCapacity(_))));
    })
    .await;
}

#[tokio::test]
async fn interim_responses_are_dropped_and_upgrades_refused() {
    local(async {
        let (client, t) = (test_client(), TIMEOUT);
        let to = raw_upstream(
            vec![b"HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nx-final: 1\r\ncontent-length: 2\r\n\r\nok"],
            false,
        )
        .await;
        let r = client.send(&to, get(&to), RequestBody::Empty, t).await.unwrap();
        assert_eq!(r.status, 200);
        let names: Vec<&str> = r.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["x-final", "content-length"], "no header of the 103");
        assert_eq!(body_of(r).await, b"ok");

        let to = raw_upstream(
            vec![b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n"],
            false,
        )
        .await;
        let r = client.send(&to, get(&to), RequestBody::Empty, t).await;
        assert!(matches!(r, Err(SendError::Protocol("protocol upgrades are not proxied"))));

        let endless: &'static [u8] = "HTTP/1.1 103 Early Hints\r\n\r\n".repeat(9).leak().as_bytes();
        let to = raw_upstream(vec![endless], false).await;
        let r = client.send(&to, get(&to), RequestBody::Empty, t).await;
        assert!(matches!(r, Err(SendError::Protocol("too many interim responses"))));
    })
    .await;
}

/// A body of `pieces`, each after `gap` (then, with `hang`, nothing ever again).
fn slow_body(pieces: usize, gap: Duration, hang: bool) -> RequestBody {
    let stream = futures_util::stream::unfold(0, move |i| async move {
        if i == pieces {
            if hang {
                std::future::pending::<()>().await;
            }
            return None;
        }
        tokio::time::sleep(gap).await;
        Some((Ok(Bytes::from_static(b"x")), i + 1))
    });
    RequestBody::Stream {
        inner: Box::pin(stream),
        length: None,
    }
}

#[tokio::test]
async fn connect_upload_and_response_head_have_their_own_timeouts() {
    local(async {
        let to = mirror_upstream().await;
        let client = Client::new(Settings {
            body_timeout: Duration::from_millis(400),
            ..settings()
        });
        let post = || RequestHead::new("POST", "", "/in", &to.authority);
        let head_timeout = Duration::from_millis(300);

        // A slow but steady client: 4 pieces 150 ms apart (600 ms in all, longer
        // than the head timeout) — the upstream is not blamed for it.
        let r = client
            .send(
                &to,
                post(),
                slow_body(4, Duration::from_millis(150), false),
                head_timeout,
            )
            .await;
        assert_eq!(r.unwrap().status, 200);

        // An upstream that reads everything and never answers.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let silent_to =
            UpstreamUrl::parse(&format!("http://{}", silent.local_addr().unwrap())).unwrap();
        tokio::task::spawn_local(async move {
            loop {
                let (mut socket, _) = silent.accept().await.unwrap();
                tokio::task::spawn_local(async move {
                    let mut sink = [0u8; 1024];
                    while socket.read(&mut sink).await.is_ok_and(|n| n > 0) {}
                });
            }
        });

        // A client that stops sending: the upload timeout, not the upstream's.
        let started = Instant::now();
        let post = RequestHead::new("POST", "", "/in", &silent_to.authority);
        let r = client
            .send(
                &silent_to,
                post,
                slow_body(1, Duration::ZERO, true),
                head_timeout,
            )
            .await;
        assert!(
            matches!(r, Err(SendError::RequestBodyTimeout)),
            "{:?}",
            r.err()
        );
        assert!(started.elapsed() >= Duration::from_millis(350));

        // The upstream that never answers a whole request: the head timeout.
        let started = Instant::now();
        let r = client
            .send(
                &silent_to,
                get(&silent_to),
                RequestBody::Empty,
                head_timeout,
            )
            .await;
        assert!(matches!(r, Err(SendError::Timeout)));
        assert!(started.elapsed() >= Duration::from_millis(250));

        // Nothing listening: a connect error, at once.
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let gone = UpstreamUrl::parse(&format!("http://{}", closed.local_addr().unwrap())).unwrap();
        drop(closed);
        let r = client
            .send(&gone, get(&gone), RequestBody::Empty, head_timeout)
            .await;
        assert!(matches!(r, Err(SendError::Connect(_))));
    })
    .await;
}

#[tokio::test]
async fn bytes_after_a_response_keep_its_connection_out_of_the_pool() {
    local(async {
        let (client, t) = (test_client(), TIMEOUT);
        for (answer, method) in [
            (&b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nforged"[..], "GET"),
            (b"HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nforged", "GET"),
            (b"HTTP/1.1 304 Not Modified\r\ncontent-length: 6\r\n\r\nforged", "GET"),
            (b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nforged", "HEAD"),
            (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\nforged", "GET"),
        ] {
            let to = raw_upstream(vec![answer, b"HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nsecond"], false).await;
            let head = RequestHead::new(method, "", "/x", &to.authority);
            let r = client.send(&to, head, RequestBody::Empty, t).await.unwrap();
            let first = body_of(r).await;
            assert!(first.is_empty() || first == b"ok", "{first:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
            // Never the bytes behind the first answer as the second one.
            let r = client.send(&to, get(&to), RequestBody::Empty, t).await.unwrap();
            assert_eq!(body_of(r).await, b"second", "{:?}", String::from_utf8_lossy(answer));
        }
    })
    .await;
}
