//! `grpc.max_connection_age_seconds`: the server ends long-lived HTTP/2
//! connections with GOAWAY so clients reconnect (and rebalance onto new pods),
//! and a client's next call succeeds on a new connection.

use crate::helpers::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const FRAME_GOAWAY: u8 = 0x7;

/// Opens a bare HTTP/2 connection and returns the frame types the server sends
/// until GOAWAY, the connection's end or `within`.
async fn frames_until_goaway(port: u16, within: std::time::Duration) -> Vec<u8> {
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    tcp.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .unwrap_or_else(|e| panic!("preface: {e}"));
    // An empty SETTINGS frame: length 0, type 4, flags 0, stream 0.
    tcp.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0])
        .await
        .unwrap_or_else(|e| panic!("settings: {e}"));
    let mut bytes = Vec::new();
    let mut types = Vec::new();
    let _ = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        let mut at = 0;
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => bytes.extend_from_slice(&buf[..n]),
            }
            while at + 9 <= bytes.len() {
                let len = u32::from_be_bytes([0, bytes[at], bytes[at + 1], bytes[at + 2]]) as usize;
                types.push(bytes[at + 3]);
                at += 9 + len;
            }
            // After GOAWAY hyper waits for a PING answer this bare client never sends.
            if types.contains(&FRAME_GOAWAY) {
                break;
            }
        }
    })
    .await;
    types
}

#[tokio::test]
async fn connections_older_than_max_connection_age_get_goaway_and_clients_reconnect() {
    let mut config = config(&[]);
    config.grpc.max_connection_age_seconds = 1;
    let mut app = spawn(config).await;
    let types = frames_until_goaway(app.grpc_port, std::time::Duration::from_secs(10)).await;
    assert!(types.contains(&FRAME_GOAWAY), "frame types {types:?}");
    // The test client's channel got its GOAWAY at about the same time; once its
    // connection has gone, the next call reconnects. (A call racing the GOAWAY
    // itself can fail with "connection closed": clients retry idempotent calls.)
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let key = testkit::unique("key_");
    assert!(is_ok(&hit(&mut app.client, &key, "free").await));
    app.stop().await.unwrap_or_else(|e| panic!("stop: {e}"));
}

#[tokio::test]
async fn without_an_age_bound_reached_the_connection_stays_open() {
    let app = spawn(config(&[])).await;
    let types = frames_until_goaway(app.grpc_port, std::time::Duration::from_secs(3)).await;
    assert!(!types.contains(&FRAME_GOAWAY), "frame types {types:?}");
    app.stop().await.unwrap_or_else(|e| panic!("stop: {e}"));
}
