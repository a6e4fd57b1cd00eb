//! Checks every service's tests run against what the service kit promises:
//! `/metrics` with process metrics, `build_info` and request histograms, the
//! one readiness body, and a refused start-up (unknown key, development secret
//! in production) that names the key.

use std::{
    path::Path,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

/// The body of `GET {base}/metrics` (asserted 200).
pub async fn metrics_text(base: &str) -> String {
    let res = crate::http()
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {base}/metrics: {e}"));
    assert_eq!(res.status(), 200, "GET {base}/metrics");
    res.text().await.unwrap_or_default()
}

/// `GET {base}/metrics` answers the kit's metrics for `service`, and
/// `http_server_requests_total` has counted at least one request of `route`
/// (a route pattern such as `/healthz`). Returns the body for further checks.
pub async fn assert_serves_metrics(base: &str, service: &str, route: &str) -> String {
    let http = crate::http();
    // One request of `route` first, so its histogram exists.
    let _ = http.get(format!("{base}{route}")).send().await;
    let text = metrics_text(base).await;
    for expected in [
        "process_cpu_seconds_total ".to_owned(),
        "process_resident_memory_bytes ".to_owned(),
        "process_open_fds ".to_owned(),
        "process_start_time_seconds ".to_owned(),
        format!("build_info{{service=\"{service}\",version=\""),
        "# TYPE http_server_request_duration_seconds histogram".to_owned(),
        format!("http_server_request_duration_seconds_count{{method=\"GET\",route=\"{route}\"}}"),
        format!("http_server_requests_total{{method=\"GET\",route=\"{route}\",status=\"200\"}}"),
    ] {
        assert!(
            text.contains(&expected),
            "{expected} missing from /metrics:\n{text}"
        );
    }
    text
}

/// `GET {base}/healthz` is `{"status":"ok"}` and `GET {base}/readyz` is
/// `{"status":"ready","checks":{…}}` with every check in `checks` ok.
pub async fn assert_healthy_and_ready(base: &str, checks: &[&str]) {
    let http = crate::http();
    let res = http
        .get(format!("{base}/healthz"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {base}/healthz: {e}"));
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    assert_eq!(body, serde_json::json!({ "status": "ok" }));
    let res = http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {base}/readyz: {e}"));
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    assert_eq!(body["status"], "ready", "{body}");
    for check in checks {
        assert_eq!(body["checks"][check], "ok", "{check}: {body}");
    }
}

/// Runs `binary serve` with `env` (and nothing else of the test's `PREFIX__*`
/// environment); asserts it exits non-zero within 30 s and that its output
/// names `key`. Returns the output.
pub fn assert_refuses_to_start(binary: &Path, env: &[(&str, &str)], key: &str) -> String {
    let mut cmd = Command::new(binary);
    cmd.arg("serve")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, _) in std::env::vars() {
        if k.contains("__") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("CONFIG_FILE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", binary.display()));
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{} started despite {env:?}", binary.display());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child
        .wait_with_output()
        .map(|o| {
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
        .unwrap_or_default();
    assert!(
        !status.success(),
        "{} exited 0 with {env:?}",
        binary.display()
    );
    assert!(
        output.contains(key),
        "the refusal does not name {key}:\n{output}"
    );
    output
}
