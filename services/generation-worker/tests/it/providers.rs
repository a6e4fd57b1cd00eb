//! Provider paths: the Replicate adapter against a local fake of the
//! predictions API, cancel of a processing job, deadlines.

use crate::harness::TestApp;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

#[derive(Default)]
struct FakeReplicate {
    polls: HashMap<String, u32>,
    created: Vec<Value>,
    canceled: Vec<String>,
    auth: Vec<String>,
}

/// A fake of Replicate's predictions API: `starting`, then `processing`, then
/// `succeeded` with a PNG it serves itself.
async fn fake_replicate() -> (String, Arc<Mutex<FakeReplicate>>) {
    let state = Arc::new(Mutex::new(FakeReplicate::default()));
    let png = generation_worker::render::picture(42, "replicate", (64, 64), "png").unwrap();
    let shared = state.clone();
    let server = HttpServer::new(move || {
        let state = shared.clone();
        let png = png.clone();
        App::new()
            .app_data(web::Data::new(state))
            .route("/v1/predictions", web::post().to(|req: HttpRequest, s: web::Data<Arc<Mutex<FakeReplicate>>>, body: web::Json<Value>| async move {
                let mut s = s.lock().unwrap();
                s.auth.push(req.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned());
                s.created.push(body.into_inner());
                let id = format!("pred{}", s.created.len());
                HttpResponse::Created().json(json!({"id": id, "status": "starting"}))
            }))
            .route("/v1/predictions/{id}", web::get().to(|req: HttpRequest, s: web::Data<Arc<Mutex<FakeReplicate>>>, id: web::Path<String>| async move {
                let mut s = s.lock().unwrap();
                if !s.created.iter().enumerate().any(|(i, _)| format!("pred{}", i + 1) == *id) {
                    return HttpResponse::NotFound().finish();
                }
                let n = s.polls.entry(id.clone()).or_default();
                *n += 1;
                let host = req.connection_info().host().to_owned();
                let body = match *n {
                    1 => json!({"id": *id, "status": "starting"}),
                    2 => json!({"id": *id, "status": "processing", "logs": "50%"}),
                    _ => json!({"id": *id, "status": "succeeded", "output": [format!("http://{host}/files/{id}.png")]}),
                };
                HttpResponse::Ok().json(body)
            }))
            .route("/v1/predictions/{id}/cancel", web::post().to(|s: web::Data<Arc<Mutex<FakeReplicate>>>, id: web::Path<String>| async move {
                s.lock().unwrap().canceled.push(id.clone());
                HttpResponse::Ok().json(json!({"id": *id, "status": "canceled"}))
            }))
            .route("/files/{name}", web::get().to(move || {
                let png = png.clone();
                async move { HttpResponse::Ok().content_type("image/png").body(png) }
            }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    (format!("http://127.0.0.1:{port}"), state)
}

#[tokio::test]
async fn the_replicate_adapter_runs_a_live_image_job_and_copies_its_output() {
    let (base, fake) = fake_replicate().await;
    let mut app = TestApp::spawn_with(|c| {
        c.providers.insert("image".into(), "replicate".into());
    })
    .await;
    app.start_worker_with(|c| {
        c.replicate.base_url = base.clone();
        c.replicate.api_token = service_kit::config::Secret::new("r8_test_token");
        c.replicate
            .versions
            .insert("image".into(), "black-forest-labs/flux-schnell:v1".into());
    });
    let key = app.key("live");
    app.fund(&key, "starter", 100).await;
    let r = app
        .post(
            &key,
            "/api/v1/images/generations",
            &json!({"prompt": "A lighthouse", "seed": 7}),
        )
        .await;
    r.assert(202);
    let id = r.body["id"].as_str().unwrap();
    let job = app.wait_final(&key, id, 30).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    {
        let f = fake.lock().unwrap();
        assert_eq!(f.created.len(), 1, "submitted once");
        assert_eq!(f.created[0]["version"], "black-forest-labs/flux-schnell:v1");
        assert_eq!(f.created[0]["input"]["prompt"], "A lighthouse");
        assert_eq!(f.created[0]["input"]["seed"], 7);
        assert_eq!(f.auth[0], "Bearer r8_test_token");
    }
    // The provider's URL was copied into our store and is served signed by us.
    let result = app.get(&key, &format!("/api/v1/jobs/{id}/result")).await;
    let url = result.body["outputs"][0]["url"].as_str().unwrap();
    assert!(url.contains("/api/v1/files/results/"), "{url}");
    let (status, bytes) = app.bytes(url).await;
    assert_eq!(status, 200);
    assert_eq!(tiny_skia::Pixmap::decode_png(&bytes).unwrap().width(), 64);
    // Test-mode jobs never reach the paid provider.
    let test = app.key_of(&key, "test", &["read", "generate"]);
    let t = app
        .post(
            &test,
            "/api/v1/images/generations",
            &json!({"prompt": "free"}),
        )
        .await;
    app.wait_final(&test, t.body["id"].as_str().unwrap(), 30)
        .await;
    assert_eq!(fake.lock().unwrap().created.len(), 1);
}

#[tokio::test]
async fn canceling_a_processing_job_stops_it_and_releases_its_credits() {
    let mut app = TestApp::spawn().await;
    app.start_worker();
    let key = app.key("live");
    app.fund(&key, "starter", 100).await;
    let r = app
        .post(
            &key,
            "/api/v1/videos/generations",
            &json!({"prompt": "long", "duration_s": 30}),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    loop {
        let j = app.get(&key, &format!("/api/v1/jobs/{id}")).await;
        if j.body["status"] == "processing" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let c = app
        .post(&key, &format!("/api/v1/jobs/{id}/cancel"), &json!({}))
        .await;
    c.assert(202);
    let job = app.wait_final(&key, &id, 30).await;
    assert_eq!(job["status"], "canceled");
    assert_eq!(job["error"]["code"], "canceled");
    assert_eq!(job["credits"]["charged"], 0);
    let credits = app.get(&key, "/api/v1/credits").await;
    assert_eq!(
        (
            credits.body["balance"].as_i64(),
            credits.body["reserved"].as_i64()
        ),
        (Some(100), Some(0))
    );
}

#[tokio::test]
async fn a_job_past_its_deadline_fails_and_releases_its_credits() {
    let mut app = TestApp::spawn_with(|c| c.job_deadline_seconds = 1).await;
    let key = app.key("live");
    app.fund(&key, "starter", 100).await;
    let r = app
        .post(
            &key,
            "/api/v1/videos/generations",
            &json!({"prompt": "too slow", "duration_s": 30}),
        )
        .await;
    r.assert(202);
    app.start_worker();
    let job = app
        .wait_final(&key, r.body["id"].as_str().unwrap(), 30)
        .await;
    assert_eq!(job["status"], "failed");
    assert_eq!(job["error"]["code"], "deadline_exceeded");
    assert_eq!(job["credits"]["charged"], 0);
    assert_eq!(app.get(&key, "/api/v1/credits").await.body["reserved"], 0);
    let result = app
        .get(
            &key,
            &format!("/api/v1/jobs/{}/result", r.body["id"].as_str().unwrap()),
        )
        .await;
    result.assert_error(409, "job_not_succeeded");
}
