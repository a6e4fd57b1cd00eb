//! A worker process killed with SIGKILL in the middle of a job: the job is
//! re-queued by another worker's reaper when the lease expires, runs again,
//! and completes exactly once (one capture, charged once).

use crate::harness::TestApp;
use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use serde_json::json;
use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = BigInt)]
    amount: i64,
}

#[tokio::test]
async fn a_worker_killed_mid_job_loses_nothing_and_completes_nothing_twice() {
    let mut app = TestApp::spawn().await;
    let key = app.key("live");
    app.fund(&key, "starter", 100).await;
    let config = app.worker_config();
    let mut worker = Command::new(env!("CARGO_BIN_EXE_generation-worker"))
        .env(
            "GENERATION_WORKER__DATABASE__URL",
            config.database.url.expose(),
        )
        .env("GENERATION_WORKER__STORAGE__ROOT", &config.storage.root)
        .env("GENERATION_WORKER__WORKER_ID", "doomed")
        .env("GENERATION_WORKER__LISTEN", "")
        .env("GENERATION_WORKER__LEASE_SECONDS", "2")
        .env("GENERATION_WORKER__HEARTBEAT_INTERVAL_MS", "300")
        .env("GENERATION_WORKER__POLL_INTERVAL_MS", "200")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("worker binary");
    let r = app
        .post(
            &key,
            "/api/v1/videos/generations",
            &json!({"prompt": "Long take", "duration_s": 12}),
        )
        .await;
    r.assert(202);
    let id = r.body["id"].as_str().unwrap().to_owned();
    // Wait until the doomed worker is rendering it.
    let start = Instant::now();
    loop {
        let job = app.get(&key, &format!("/api/v1/jobs/{id}")).await;
        if job.body["status"] == "processing" && job.body["progress"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        assert_ne!(
            job.body["status"], "succeeded",
            "finished before it could be killed"
        );
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "never started: {}",
            job.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    worker.kill().expect("SIGKILL"); // Child::kill is SIGKILL on Unix
    worker.wait().expect("reaped");
    // A healthy worker takes over once the lease has expired.
    app.start_worker();
    let job = app.wait_final(&key, &id, 120).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["credits"]["charged"], 24);
    let mut c = app.conn().await;
    let ledger: Vec<Row> = diesel::sql_query(
        "SELECT kind, amount FROM credit_ledger WHERE job_id IS NOT NULL ORDER BY id",
    )
    .load(&mut c)
    .await
    .unwrap();
    let kinds: Vec<(&str, i64)> = ledger.iter().map(|r| (r.kind.as_str(), r.amount)).collect();
    assert_eq!(kinds, vec![("reserve", 24), ("capture", 24)]);
    #[derive(diesel::QueryableByName)]
    struct Attempts {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        attempts: i32,
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        lease_owner: Option<String>,
    }
    let a: Attempts = diesel::sql_query("SELECT attempts, lease_owner FROM jobs")
        .get_result(&mut c)
        .await
        .unwrap();
    assert_eq!((a.attempts, a.lease_owner), (2, None));
    let credits = app.get(&key, "/api/v1/credits").await;
    assert_eq!(
        (
            credits.body["balance"].as_i64(),
            credits.body["reserved"].as_i64()
        ),
        (Some(76), Some(0))
    );
}
