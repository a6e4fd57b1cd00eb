//! Errors the gateway answers itself, each in the route's dialect with the
//! body's request id equal to `X-Request-Id`.

use crate::support::{Gateway, Platform, TIGHT_LIMIT, TIGHT_TIER, assert_error};
use futures_util::stream;
use testkit::process::free_port;

#[tokio::test]
async fn refused_credentials_are_401_with_www_authenticate() {
    let p = Platform::start().await;
    let gw = Gateway::start(p.config()).await;
    let partner = p.mint("partner", &["read"], "starter").await;
    let unknown = auth_core::key::generate(auth_core::Product::Admin, auth_core::key::KeyEnv::Live);
    let cases = [
        (gw.get("admin.localhost", "/api/v1/customers"), false),
        (
            gw.get("admin.localhost", "/api/v1/customers")
                .header("authorization", "Basic YTpi"),
            false,
        ),
        (
            gw.get("admin.localhost", "/api/v1/customers")
                .bearer_auth("copt_live_tooshort"),
            false,
        ),
        (
            gw.get("admin.localhost", "/api/v1/customers")
                .bearer_auth(&unknown),
            false,
        ),
        // A valid key of another product.
        (
            gw.get("admin.localhost", "/api/v1/customers")
                .bearer_auth(&partner.key),
            false,
        ),
        (gw.get("gen.localhost", "/api/v1/me"), true),
    ];
    for (req, generation) in cases {
        let res = req.send().await.unwrap();
        let (_, headers) = assert_error(res, 401, "invalid_token", generation).await;
        assert!(
            headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }
}

#[tokio::test]
async fn oversized_bodies_are_413_before_or_while_streaming() {
    let p = Platform::start().await;
    let gw = Gateway::start(p.config()).await;
    let key = p.mint("generation", &["read", "generate"], "starter").await;
    let limit = 2 * 1024 * 1024;
    // Content-Length over the limit: refused up front.
    let res = gw
        .post("gen.localhost", "/api/v1/images/generations")
        .bearer_auth(&key.key)
        .body(vec![b'a'; limit + 1])
        .send()
        .await
        .unwrap();
    let (body, _) = assert_error(res, 413, "payload_too_large", true).await;
    assert_eq!(body["error"]["details"]["limit_bytes"], limit);
    // A chunked body without Content-Length: cut off once it exceeds the limit.
    let chunks = (0..40).map(|_| Ok::<_, std::io::Error>(vec![b'a'; 64 * 1024]));
    let res = gw
        .post("gen.localhost", "/api/v1/images/generations")
        .bearer_auth(&key.key)
        .body(reqwest::Body::wrap_stream(stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_error(res, 413, "payload_too_large", true).await;
    // Under the limit, chunked, passes whole.
    let chunks = (0..8).map(|_| Ok::<_, std::io::Error>(vec![b'a'; 64 * 1024]));
    let res = gw
        .post("gen.localhost", "/api/v1/images/generations")
        .bearer_auth(&key.key)
        .body(reqwest::Body::wrap_stream(stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let echo: serde_json::Value = res.json().await.unwrap();
    assert_eq!(echo["body_length"], 8 * 64 * 1024);
}

#[tokio::test]
async fn over_the_limit_is_429_with_retry_after_and_headers() {
    let p = Platform::start().await;
    let gw = Gateway::start(p.config()).await;
    let key = p.mint("admin", &["customers:read"], TIGHT_TIER).await;
    for i in 0..TIGHT_LIMIT {
        let res = gw
            .get("admin.localhost", "/api/v1/customers")
            .bearer_auth(&key.key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "request {i}");
        assert_eq!(
            res.headers()["x-ratelimit-limit"],
            TIGHT_LIMIT.to_string().as_str()
        );
        assert_eq!(
            res.headers()["x-ratelimit-remaining"],
            (TIGHT_LIMIT - 1 - i).to_string().as_str()
        );
    }
    let res = gw
        .get("admin.localhost", "/api/v1/customers")
        .bearer_auth(&key.key)
        .send()
        .await
        .unwrap();
    let (_, h) = assert_error(res, 429, "rate_limited", false).await;
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0);
    assert_eq!(h["x-ratelimit-remaining"], "0");
    assert!(h["ratelimit"].to_str().unwrap().contains(";r=0;"));
}

#[tokio::test]
async fn upstream_down_is_503_and_slow_upstream_is_504() {
    let p = Platform::start().await;
    let mut config = p.config();
    config.upstreams.generation_api = format!("http://127.0.0.1:{}", free_port());
    for route in &mut config.routes {
        if route.name == "admin-api" {
            route.timeout_ms = 500;
        }
    }
    let gw = Gateway::start(config).await;
    let gen_key = p.mint("generation", &["read"], "starter").await;
    let res = gw
        .get("gen.localhost", "/api/v1/jobs")
        .bearer_auth(&gen_key.key)
        .send()
        .await
        .unwrap();
    let (_, h) = assert_error(res, 503, "upstream_unavailable", true).await;
    assert!(
        h.contains_key("x-ratelimit-limit"),
        "rate-limit headers on upstream errors too"
    );

    let admin = p.mint("admin", &["customers:read"], "starter").await;
    let res = gw
        .get("admin.localhost", "/api/v1/slow")
        .bearer_auth(&admin.key)
        .send()
        .await
        .unwrap();
    let (_, h) = assert_error(res, 504, "upstream_timeout", false).await;
    assert!(h.contains_key("x-ratelimit-remaining"));

    let metrics = gw.metrics().await;
    assert!(
        metrics.contains("gateway_upstream_errors_total{route=\"admin-api\",kind=\"timeout\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains(
        "gateway_upstream_errors_total{route=\"generation-api\",kind=\"unavailable\"} 1"
    ));
    assert!(metrics.contains("gateway_requests_total{route=\"admin-api\",status=\"504\"} 1"));
}

#[tokio::test]
async fn when_auth_is_down_cached_keys_work_and_unknown_keys_get_503() {
    let mut p = Platform::start().await;
    let gw = Gateway::start(p.config()).await;
    let cached = p.mint("admin", &["customers:read"], "starter").await;
    let other = p.mint("admin", &["customers:read"], "starter").await;
    let res = gw
        .get("admin.localhost", "/api/v1/customers")
        .bearer_auth(&cached.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    p.auth.terminate(std::time::Duration::from_secs(10));
    let res = gw
        .get("admin.localhost", "/api/v1/customers")
        .bearer_auth(&cached.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "a cached principal keeps working");
    let res = gw
        .get("admin.localhost", "/api/v1/customers")
        .bearer_auth(&other.key)
        .send()
        .await
        .unwrap();
    assert_error(res, 503, "upstream_unavailable", false).await;

    let ready = testkit::http()
        .get(format!("http://127.0.0.1:{}/readyz", gw.internal_port))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
}

#[tokio::test]
async fn oversized_headers_are_431() {
    let p = Platform::start().await;
    let gw = Gateway::start(p.config()).await;
    let res = gw
        .get("gen.localhost", "/api/v1/openapi.json")
        .header("x-padding", "a".repeat(40 * 1024))
        .send()
        .await
        .unwrap();
    assert_error(res, 431, "invalid_request", true).await;
}

/// A client that does not finish its request head in time is cut off (slowloris guard).
#[tokio::test]
async fn a_slow_client_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let p = Platform::start().await;
    let mut config = p.config();
    config.client_request_timeout_ms = 300;
    let gw = Gateway::start(config).await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", gw.port))
        .await
        .unwrap();
    stream
        .write_all(b"GET /api/v1/openapi.json HTTP/1.1\r\nHost: gen.localhost\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut answer),
    )
    .await;
    assert!(read.is_ok(), "the connection was still open after 5 s");
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );
}

/// A client that stops sending its body is answered 408 after the upload
/// timeout — not a 504 blamed on the upstream, however long the route's timeout.
#[tokio::test]
async fn a_client_that_stops_sending_its_body_gets_408_not_504() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let p = Platform::start().await;
    let mut config = p.config();
    config.upstream_body_timeout_ms = 300;
    let gw = Gateway::start(config).await;
    let admin = p.mint("admin", &["customers:read"], "starter").await;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", gw.port))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/customers HTTP/1.1\r\nHost: admin.localhost\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"partial\":",
        admin.key
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let started = std::time::Instant::now();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("an answer before the route's 30 s timeout")
        .unwrap();
    let text = String::from_utf8_lossy(&answer[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let metrics = gw.metrics().await;
    assert!(
        !metrics.contains("kind=\"timeout\"} 1"),
        "not counted as an upstream timeout: {metrics}"
    );
}

/// Log lines of a failed request (the error and the access line) carry its request id.
#[tokio::test]
async fn log_lines_carry_the_request_id() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Sink {
        type Writer = Sink;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }
    let sink = Sink::default();
    let _guard = telemetry::init_with_writer("gateway", sink.clone(), None);

    let p = Platform::start().await;
    let mut config = p.config();
    config.upstreams.generation_api = format!("http://127.0.0.1:{}", free_port());
    let gw = Gateway::start(config).await;
    let res = gw
        .get("gen.localhost", "/api/v1/openapi.json")
        .header("x-request-id", "req_logged0001")
        .send()
        .await
        .unwrap();
    assert_error(res, 503, "upstream_unavailable", true).await;
    let logs = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("upstream") || l.contains("\"request\""))
        .collect();
    assert!(!lines.is_empty(), "{logs}");
    let failed: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("request failed"))
        .collect();
    assert_eq!(failed.len(), 1, "{logs}");
    assert!(failed[0].contains("req_logged0001"), "{}", failed[0]);
    let access: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("\"status\":503"))
        .collect();
    assert!(
        access.iter().all(|l| l.contains("req_logged0001")),
        "{access:?}"
    );
    assert!(!access.is_empty(), "{logs}");
}
