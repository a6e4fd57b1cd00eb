//! The subscriber writes redacted JSON lines, and OTLP export can be switched on
//! without a collector being up (spans are dropped, requests are not affected).

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn json_lines_are_redacted_and_otlp_export_does_not_disturb() {
    let sink = Sink::default();
    let writer = sink.clone();
    // Nothing listens on port 9: export fails quietly in the background.
    let guard = telemetry::init_with_writer(
        "telemetry-test",
        move || telemetry::RedactingWriter(writer.clone()),
        Some("http://127.0.0.1:9".into()),
    );
    {
        let span = tracing::info_span!("request", request_id = "req_1");
        let _e = span.enter();
        tracing::info!(
            authorization = "Bearer copt_live_aB3xY9zKqMnPwR2vT4uH7jL5sQ8eFc1g",
            "authenticating"
        );
    }
    drop(guard);
    let out = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    let line = out
        .lines()
        .find(|l| l.contains("authenticating"))
        .expect("a log line");
    let json: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(json["level"], "INFO");
    assert!(!line.contains("aB3xY9zK"), "{line}");
    assert_eq!(json["authorization"], "Bearer ***");
    assert_eq!(json["span"]["request_id"], "req_1");
}
