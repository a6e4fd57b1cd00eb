//! Webhooks end to end: a receiver the test runs, Standard Webhooks
//! signatures verified with the spec's algorithm, 3xx counted as failure and
//! retried, 410 disabling the endpoint, loopback refused unless allowed.

use crate::harness::TestApp;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::sync::mpsc;

struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

struct Receiver {
    url: String,
    rx: mpsc::UnboundedReceiver<Received>,
}

/// An HTTP endpoint answering the given statuses in order (then 200).
async fn receiver(statuses: Vec<u16>) -> Receiver {
    let (tx, rx) = mpsc::unbounded_channel();
    let answers = Arc::new(Mutex::new(VecDeque::from(statuses)));
    let server = HttpServer::new(move || {
        let tx = tx.clone();
        let answers = answers.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let tx = tx.clone();
            let answers = answers.clone();
            async move {
                let h = |n: &str| {
                    req.headers()
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                let _ = tx.send(Received {
                    id: h("webhook-id"),
                    timestamp: h("webhook-timestamp"),
                    signature: h("webhook-signature"),
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                let status = answers.lock().unwrap().pop_front().unwrap_or(200);
                let mut res =
                    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
                if status == 302 {
                    res.insert_header(("location", "http://127.0.0.1:1/elsewhere"));
                }
                res.finish()
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    Receiver {
        url: format!("http://127.0.0.1:{port}/hooks/sume"),
        rx,
    }
}

/// Standard Webhooks verification, written from the specification.
fn verify(secret: &str, r: &Received) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    r.signature
        .split(' ')
        .any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Received>, secs: u64) -> Received {
    tokio::time::timeout(Duration::from_secs(secs), rx.recv())
        .await
        .expect("a webhook in time")
        .expect("receiver open")
}

#[tokio::test]
async fn job_webhooks_are_signed_retried_after_a_redirect_and_verified() {
    let mut app = TestApp::spawn().await;
    app.start_worker();
    let key = app.key("live");
    app.fund(&key, "starter", 100).await;
    let mut hook = receiver(vec![302]).await;
    let r = app
        .post(
            &key,
            "/api/v1/images/generations",
            &json!({"prompt": "Webhook me", "webhook_url": hook.url}),
        )
        .await;
    r.assert(202);
    assert_eq!(r.body["webhook_url"], hook.url.as_str());
    let id = r.body["id"].as_str().unwrap();
    let secret = {
        let mut c = app.conn().await;
        generation_api::webhooks::secret(
            &mut c,
            key.workspace(),
            generation_api::credits::Mode::Live,
        )
        .await
        .unwrap()
    };
    let first = next(&mut hook.rx, 30).await; // answered 302: a failure, retried
    assert!(verify(&secret, &first));
    let second = next(&mut hook.rx, 30).await;
    assert!(verify(&secret, &second), "signature verifies");
    assert_eq!(first.id, second.id, "a retry keeps its webhook-id");
    assert!(second.id.starts_with("msg_"));
    let payload: Value = serde_json::from_str(&second.body).unwrap();
    assert_eq!(payload["type"], "job.succeeded");
    assert_eq!(payload["data"]["id"], id);
    assert_eq!(payload["data"]["status"], "succeeded");
    let age =
        time::OffsetDateTime::now_utc().unix_timestamp() - second.timestamp.parse::<i64>().unwrap();
    assert!((0..60).contains(&age));
    // A tampered body fails verification.
    let tampered = Received {
        body: second.body.replace("succeeded", "failed"),
        ..second
    };
    assert!(!verify(&secret, &tampered));
}

#[tokio::test]
async fn a_410_disables_the_endpoint_and_loopback_is_refused_by_default() {
    let mut app = TestApp::spawn().await;
    app.start_worker();
    let key = app.key("live");
    app.fund(&key, "starter", 100).await;
    let mut gone = receiver(vec![410]).await;
    let body = json!({"prompt": "x", "webhook_url": gone.url});
    let first = app.post(&key, "/api/v1/images/generations", &body).await;
    first.assert(202);
    let received = next(&mut gone.rx, 30).await;
    assert!(received.body.contains("job.succeeded"));
    app.wait_final(&key, first.body["id"].as_str().unwrap(), 30)
        .await;
    // Wait for the 410 to be recorded, then a second job sends nothing.
    let mut c = app.conn().await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let n = diesel_async::RunQueryDsl::execute(
            diesel::sql_query("SELECT 1 FROM webhook_disabled_urls"),
            &mut c,
        )
        .await
        .unwrap();
        if n == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "410 not recorded");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let second = app.post(&key, "/api/v1/images/generations", &body).await;
    app.wait_final(&key, second.body["id"].as_str().unwrap(), 30)
        .await;
    assert!(
        tokio::time::timeout(Duration::from_secs(2), gone.rx.recv())
            .await
            .is_err(),
        "a disabled endpoint gets nothing"
    );

    // A worker that does not allow private addresses refuses loopback at delivery.
    let mut strict = TestApp::spawn().await;
    strict.start_worker_with(|c| c.webhook_allow_private = false);
    let key = strict.key("live");
    strict.fund(&key, "starter", 100).await;
    let mut local = receiver(vec![]).await;
    let r = strict
        .post(
            &key,
            "/api/v1/images/generations",
            &json!({"prompt": "x", "webhook_url": local.url}),
        )
        .await;
    strict
        .wait_final(&key, r.body["id"].as_str().unwrap(), 30)
        .await;
    let mut c = strict.conn().await;
    #[derive(diesel::QueryableByName)]
    struct D {
        #[diesel(sql_type = diesel::sql_types::Text)]
        status: String,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        error_code: Option<String>,
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let d: D = diesel_async::RunQueryDsl::get_result(
            diesel::sql_query("SELECT status, error_code FROM webhook_deliveries"),
            &mut c,
        )
        .await
        .unwrap();
        if d.status == "failed" {
            assert_eq!(d.error_code.as_deref(), Some("blocked_address"));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "delivery not refused: {}",
            d.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(local.rx.try_recv().is_err());
}

#[tokio::test]
async fn the_worker_metrics_show_queue_depth_the_oldest_wait_and_delivery_outcomes() {
    let app = TestApp::spawn().await;
    let key = app.key("live");
    app.fund(&key, "starter", 100).await;
    let ctx = generation_worker::context(app.worker_config()).unwrap();
    let port = testkit::process::free_port();
    tokio::spawn(
        generation_worker::observability_server(&format!("127.0.0.1:{port}"), &ctx).unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let mut hook = receiver(vec![302]).await;
    app.post(
        &key,
        "/api/v1/images/generations",
        &json!({"prompt": "Count me", "webhook_url": hook.url}),
    )
    .await
    .assert(202);
    // No worker yet: the job waits in the queue.
    generation_worker::metrics::sample_queues(&ctx).await;
    let text = testkit::kit_checks::metrics_text(&base).await;
    for needle in [
        "jobs_queue_depth{queue=\"generation\"} 1",
        "jobs_queue_depth{queue=\"webhook_deliveries\"} 0",
        "jobs_oldest_queued_age_seconds{queue=\"generation\"} ",
        "generation_webhook_deliveries_total{outcome=\"delivered\"} 0",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    // The worker runs the job; its webhook fails once (302), then is delivered.
    let (stop, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(generation_worker::run(Arc::clone(&ctx), rx));
    next(&mut hook.rx, 30).await;
    next(&mut hook.rx, 30).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text = testkit::kit_checks::metrics_text(&base).await;
        if text.contains("generation_webhook_deliveries_total{outcome=\"delivered\"} 1")
            || std::time::Instant::now() > deadline
        {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for needle in [
        "generation_webhook_deliveries_total{outcome=\"delivered\"} 1",
        "generation_webhook_deliveries_total{outcome=\"failed\"} 1",
        "generation_webhook_deliveries_total{outcome=\"endpoint_gone\"} 0",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    generation_worker::metrics::sample_queues(&ctx).await;
    let text = testkit::kit_checks::metrics_text(&base).await;
    assert!(
        text.contains("jobs_queue_depth{queue=\"generation\"} 0"),
        "{text}"
    );
    let _ = stop.send(true);
}
