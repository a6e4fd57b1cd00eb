//! Request smuggling probes through the gateway, both directions: ambiguous
//! request framing from a client (CL.TE, TE.CL, duplicate Content-Length,
//! obs-fold, signed lengths) and ambiguous response framing from an upstream
//! (a body on HEAD/204/304, bytes after a body, conflicting lengths). Each ends
//! in a 400/502 or a closed connection — never in a response handed to the
//! wrong request. Also: the path is normalised before routing.

use crate::support::{Gateway, Platform, assert_error};
use serde_json::Value;
use std::{
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// What a raw upstream saw: one request line per request.
type Seen = Arc<Mutex<Vec<String>>>;

/// Reads one request (head, and a body framed by Content-Length or chunked).
async fn read_request(socket: &mut TcpStream) -> Option<(String, String)> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if socket.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let lower = head.to_ascii_lowercase();
    let length = lower
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .and_then(|n| n.trim().parse::<usize>().ok());
    if let Some(n) = length {
        let mut body = vec![0u8; n];
        socket.read_exact(&mut body).await.ok()?;
    } else if lower.contains("transfer-encoding: chunked") {
        let mut body = Vec::new();
        while !body.ends_with(b"0\r\n\r\n") {
            if socket.read(&mut byte).await.ok()? == 0 {
                return None;
            }
            body.push(byte[0]);
        }
    }
    let line = head.lines().next().unwrap_or_default().to_owned();
    let method = line.split(' ').next().unwrap_or_default().to_owned();
    Some((line, method))
}

/// A raw keep-alive upstream. A request whose path ends in `/probe-<name>` gets
/// the misbehaving answer of that name; any other gets a 200 whose body is its
/// own request line (so a client can tell whose answer it got).
async fn raw_upstream(seen: Seen) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let seen = Arc::clone(&seen);
            tokio::spawn(async move {
                while let Some((line, method)) = read_request(&mut socket).await {
                    seen.lock().unwrap().push(line.clone());
                    let forged = "HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nFORGED";
                    let path = line.split(' ').nth(1).unwrap_or_default();
                    let answer = match path.rsplit('/').next().unwrap_or_default() {
                        "probe-head" if method == "HEAD" => {
                            format!(
                                "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{forged}",
                                forged.len()
                            )
                        }
                        "probe-204" => format!("HTTP/1.1 204 No Content\r\n\r\n{forged}"),
                        "probe-304" => format!(
                            "HTTP/1.1 304 Not Modified\r\ncontent-length: {}\r\n\r\n{forged}",
                            forged.len()
                        ),
                        "probe-extra" => {
                            format!("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok{forged}")
                        }
                        "probe-cl-te" => format!(
                            "HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n{forged}"
                        ),
                        "probe-two-lengths" => {
                            format!(
                                "HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 8\r\n\r\nok{forged}"
                            )
                        }
                        "probe-signed" => {
                            format!("HTTP/1.1 200 OK\r\ncontent-length: +2\r\n\r\nok{forged}")
                        }
                        "probe-fold" => format!(
                            "HTTP/1.1 200 OK\r\nx-folded: a\r\n b\r\ncontent-length: 2\r\n\r\nok{forged}"
                        ),
                        "probe-chunk-sign" => format!(
                            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n+2\r\nok\r\n0\r\n\r\n{forged}"
                        ),
                        _ => format!(
                            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n{line}",
                            line.len()
                        ),
                    };
                    if socket.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

async fn gateway_to_raw_upstream() -> (Platform, Gateway, Seen, String) {
    let p = Platform::start().await;
    let seen: Seen = Arc::default();
    let port = raw_upstream(Arc::clone(&seen)).await;
    let mut config = p.config();
    config.upstreams.admin_api = format!("http://127.0.0.1:{port}");
    let gw = Gateway::start(config).await;
    let key = p.mint("admin", &["customers:read"], "starter").await.key;
    (p, gw, seen, key)
}

/// Follow-up requests on fresh client connections (both gateway workers, their
/// pooled upstream connections): each must get its own answer.
async fn follow_ups_get_their_own_answers(gw: &Gateway, key: &str, probe: &str) {
    for i in 0..8 {
        let path = format!("/api/v1/customers/after-{i}");
        let res = gw
            .get("admin.localhost", &path)
            .bearer_auth(key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "after {probe}");
        let body = res.text().await.unwrap();
        assert_eq!(
            body,
            format!("GET {path} HTTP/1.1"),
            "after {probe}: a response of another request"
        );
    }
}

#[tokio::test]
async fn ambiguous_upstream_responses_never_reach_another_request() {
    let (_p, gw, _seen, key) = gateway_to_raw_upstream().await;
    let http = testkit::http();
    // (probe, method, statuses the client may get for it; 0: the connection is closed)
    let probes: [(&str, &str, &[u16]); 9] = [
        ("probe-head", "HEAD", &[200]),
        ("probe-204", "GET", &[204]),
        ("probe-304", "GET", &[304]),
        ("probe-extra", "GET", &[200]),
        ("probe-cl-te", "GET", &[200]),
        ("probe-two-lengths", "GET", &[502]),
        ("probe-signed", "GET", &[502]),
        ("probe-fold", "GET", &[502]),
        ("probe-chunk-sign", "GET", &[0, 200, 502]),
    ];
    for (probe, method, statuses) in probes {
        let url = gw.url(&format!("/api/v1/customers/{probe}"));
        let sent = http
            .request(method.parse().unwrap(), url)
            .header("host", "admin.localhost")
            .bearer_auth(&key)
            .send()
            .await;
        let Ok(res) = sent else {
            // The connection closed before a head (a body that broke before its first byte).
            assert!(statuses.contains(&0), "{probe}: {sent:?}");
            follow_ups_get_their_own_answers(&gw, &key, probe).await;
            continue;
        };
        let status = res.status().as_u16();
        assert!(statuses.contains(&status), "{probe}: {status}");
        // The body of a broken chunked answer may end in an error; never FORGED.
        let body = res.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&body).contains("FORGED"),
            "{probe}"
        );
        if status == 200 && method == "GET" {
            assert_eq!(body, b"ok", "{probe}");
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        follow_ups_get_their_own_answers(&gw, &key, probe).await;
    }
}

/// Sends raw bytes to the gateway and reads until it closes (or 3 s pass).
async fn raw_exchange(gw: &Gateway, request: String) -> String {
    let mut socket = TcpStream::connect(("127.0.0.1", gw.port)).await.unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(3), socket.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn ambiguous_client_requests_end_in_400_or_a_closed_connection() {
    let (_p, gw, seen, key) = gateway_to_raw_upstream().await;
    let smuggled = "GET /api/v1/customers/smuggled HTTP/1.1\r\nhost: admin.localhost\r\n\r\n";
    let head = |framing: &str| {
        format!(
            "POST /api/v1/customers/probe-request HTTP/1.1\r\nhost: admin.localhost\r\nauthorization: Bearer {key}\r\n{framing}\r\n"
        )
    };
    let cases = [
        (
            "CL.TE",
            format!(
                "{}0\r\n\r\n{smuggled}",
                head(&format!(
                    "content-length: {}\r\ntransfer-encoding: chunked\r\n",
                    5 + smuggled.len()
                ))
            ),
        ),
        (
            "TE.CL",
            format!(
                "{}{:x}\r\n{smuggled}\r\n0\r\n\r\n",
                head("transfer-encoding: chunked\r\ncontent-length: 4\r\n"),
                smuggled.len()
            ),
        ),
        (
            "duplicate CL",
            format!(
                "{}0\r\n\r\n{smuggled}",
                head(&format!(
                    "content-length: 5\r\ncontent-length: {}\r\n",
                    5 + smuggled.len()
                ))
            ),
        ),
        (
            "signed CL",
            format!(
                "{}{smuggled}",
                head(&format!("content-length: +{}\r\n", smuggled.len()))
            ),
        ),
        (
            "CL list",
            format!(
                "{}{smuggled}",
                head(&format!("content-length: {0}, {0}\r\n", smuggled.len()))
            ),
        ),
        (
            "obs-fold",
            format!(
                "{}0\r\n\r\n{smuggled}",
                head("transfer-encoding: chunked\r\nx-folded: a\r\n b\r\n")
            ),
        ),
        (
            "TE not chunked",
            format!(
                "{}0\r\n\r\n{smuggled}",
                head("transfer-encoding: xchunked\r\n")
            ),
        ),
        (
            "TE obs-fold",
            format!(
                "{}0\r\n\r\n{smuggled}",
                head("transfer-encoding:\r\n chunked\r\n")
            ),
        ),
        (
            "chunk size sign",
            format!(
                "{}+{:x}\r\n{smuggled}\r\n0\r\n\r\n",
                head("transfer-encoding: chunked\r\n"),
                smuggled.len()
            ),
        ),
    ];
    for (name, request) in cases {
        let answer = raw_exchange(&gw, request).await;
        let statuses: Vec<&str> = answer
            .match_indices("HTTP/1.1 ")
            .map(|(i, _)| &answer[i + 9..i + 12])
            .collect();
        assert!(
            statuses.is_empty() || statuses == ["400"],
            "{name}: answered {statuses:?}: {answer}"
        );
        assert!(!answer.contains("smuggled"), "{name}: {answer}");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let seen = seen.lock().unwrap().clone();
    assert!(
        seen.iter()
            .all(|line| !line.contains("smuggled") && !line.contains("probe-request")),
        "the upstream saw {seen:?}"
    );
}

#[tokio::test]
async fn the_path_is_normalised_before_routing_and_forwarding() {
    let p = Platform::start().await;
    let gw = Gateway::start(p.config()).await;
    let key = p.mint("generation", &["read", "generate"], "starter").await;
    for path in [
        "/api/v1/images/%67enerations",
        "/api//v1/images/generations",
        "/api/v1/jobs/../images/./generations",
        "/api/v1/jobs/%2e%2E/images/generations",
    ] {
        let res = gw
            .post("gen.localhost", path)
            .bearer_auth(&key.key)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let policy = res.headers()["ratelimit-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(policy.contains("generate"), "{path}: charged as {policy}");
        let echoed: Value = res.json().await.unwrap();
        assert_eq!(echoed["path"], "/api/v1/images/generations", "{path}");
    }
    let res = gw
        .get("gen.localhost", "/api/v1/jobs/a%2Fb")
        .bearer_auth(&key.key)
        .send()
        .await
        .unwrap();
    assert_error(res, 400, "invalid_request", true).await;
}
