//! The Generation API (seed 002) through the gateway with real `sume_` keys:
//! the seed's curls verbatim (host swapped), every read endpoint, real PNG and
//! MP4 outputs behind signed URLs, webhooks verified with the Standard
//! Webhooks algorithm, and the credit rules (402, 429, dry run, cancel with
//! refund, idempotency, 20 concurrent creates against a balance for 6).

use crate::harness::{Platform, json};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::time::{Duration, Instant};
use testkit::reqwest::Method;

const HOST: &str = "gen.localhost";

struct Workspace {
    id: String,
    live: String,
    test: String,
}

/// A workspace with a user and a live and a test key (`tier`), seeded with `plan`.
fn workspace(p: &Platform, plan: &str, tier: &str, seed: bool) -> Workspace {
    let tenant = p.authctl(&[
        "tenant",
        "create",
        "--product",
        "generation",
        "--name",
        "Acme Studio",
    ]);
    let id = tenant["id"].as_str().unwrap().to_owned();
    let user = p.authctl(&[
        "user",
        "create",
        "--tenant",
        &id,
        "--email",
        "ada@example.com",
    ]);
    let user = user["id"].as_str().unwrap();
    let key = |env: &str| {
        p.authctl(&[
            "key",
            "mint",
            "--tenant",
            &id,
            "--user",
            user,
            "--name",
            "ci",
            "--scopes",
            "read,generate",
            "--tier",
            tier,
            "--env",
            env,
        ])["key"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (live, test) = (key("live"), key("test"));
    assert!(live.starts_with("sume_live_") && test.starts_with("sume_test_"));
    let env = ("GENERATION_API__DATABASE__URL", p.generation_db.as_str());
    if seed {
        p.seed(
            "generation-api",
            env,
            &["--workspace", &id, "--name", "Acme Studio", "--plan", plan],
        );
    } else {
        p.operate(
            "generation-api",
            env,
            &["plan", "--workspace", &id, "--plan", plan],
        );
    }
    Workspace { id, live, test }
}

async fn call(
    p: &Platform,
    method: Method,
    path: &str,
    key: &str,
    body: Option<Value>,
    idem: Option<&str>,
) -> (u16, testkit::reqwest::header::HeaderMap, Value) {
    let mut req = p.request(method, HOST, path, Some(key));
    if let Some(b) = body {
        req = req
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    if let Some(k) = idem {
        req = req.header("idempotency-key", k);
    }
    json(req.send().await.unwrap()).await
}

async fn get(p: &Platform, path: &str, key: &str) -> (u16, Value) {
    let (s, _, b) = call(p, Method::GET, path, key, None, None).await;
    (s, b)
}

async fn wait_final(p: &Platform, id: &str, key: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (s, job) = get(p, &format!("/api/v1/jobs/{id}"), key).await;
        assert_eq!(s, 200, "{job}");
        if ["succeeded", "failed", "canceled"].contains(&job["status"].as_str().unwrap()) {
            return job;
        }
        assert!(Instant::now() < deadline, "not final: {job}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Downloads a signed URL through the gateway (its host is the one the client used).
async fn download(p: &Platform, url: &str) -> (u16, Vec<u8>) {
    let path = url.split_once("://").unwrap().1;
    let path = &path[path.find('/').unwrap()..];
    let res = p.get(HOST, path, None).send().await.unwrap();
    (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn generation_seed_curls_read_endpoints_media_and_webhooks_through_the_gateway() {
    let p = Platform::start().await;
    let ws = workspace(&p, "starter", "starter", true);
    let key = ws.live.as_str();

    // curl https://www.sume.so/api/v1/openapi.json -o sume-openapi.json
    let res = p
        .get(HOST, "/api/v1/openapi.json", None)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["info"]["title"], "Sume Generation API");
    assert!(doc["paths"]["/api/v1/images/generations"]["post"].is_object());

    // curl https://www.sume.so/api/v1/me -H "Authorization: Bearer $SUME_API_KEY"
    let (s, me) = get(&p, "/api/v1/me", key).await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["user"]["email"], "ada@example.com");
    assert_eq!(me["workspace"]["name"], "Acme Studio");
    assert_eq!(me["workspace"]["plan"], "starter");
    assert_eq!(me["api_key"]["name"], "ci");
    assert_eq!(me["api_key"]["scopes"], json!(["read", "generate"]));
    assert!(
        me["api_key"]["hint"]
            .as_str()
            .unwrap()
            .starts_with("sume_live_")
    );
    assert!(!me.to_string().contains(key), "never the key itself");

    // curl https://www.sume.so/api/v1/credits -H "Authorization: Bearer $SUME_API_KEY"
    let (s, credits) = get(&p, "/api/v1/credits", key).await;
    assert_eq!(s, 200);
    assert_eq!(
        (credits["balance"].as_i64(), credits["available"].as_i64()),
        (Some(500), Some(500))
    );
    assert_eq!(credits["max_concurrent_jobs"], 5);

    let (s, brands) = get(&p, "/api/v1/brand", key).await;
    assert_eq!(s, 200);
    assert_eq!(brands["data"][0]["name"], "Glow Skincare");
    assert!(!brands.to_string().contains("internal"));
    let (s, current) = get(&p, "/api/v1/brand/current", key).await;
    assert_eq!((s, &current["id"]), (200, &brands["data"][0]["id"]));
    let (s, avatars) = get(&p, "/api/v1/avatars?type=stock", key).await;
    assert_eq!(s, 200);
    assert_eq!(avatars["data"].as_array().unwrap().len(), 6);
    let avatar_id = avatars["data"][0]["id"].as_str().unwrap();
    let (s, avatar) = get(&p, &format!("/api/v1/avatars/{avatar_id}"), key).await;
    assert_eq!((s, avatar["id"].as_str()), (200, Some(avatar_id)));

    // The seed's image job, verbatim, with a webhook receiver added on a second job.
    let (s, _, job) = call(
        &p,
        Method::POST,
        "/api/v1/images/generations",
        key,
        Some(json!({
            "prompt": "Clean skincare product photo on a white bathroom counter.",
            "aspect_ratio": "1:1",
            "image_count": 1
        })),
        None,
    )
    .await;
    assert_eq!(s, 202, "{job}");
    let id = job["id"].as_str().unwrap().to_owned();
    // curl https://www.sume.so/api/v1/jobs/job_123 …, then …/result
    let done = wait_final(&p, &id, key).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    let (s, result) = get(&p, &format!("/api/v1/jobs/{id}/result"), key).await;
    assert_eq!(s, 200, "{result}");
    let (s, png) = download(&p, result["outputs"][0]["url"].as_str().unwrap()).await;
    assert_eq!(s, 200);
    let pixmap = tiny_skia::Pixmap::decode_png(&png).expect("a real PNG");
    assert_eq!((pixmap.width(), pixmap.height()), (512, 512));
    let (s, missing) = get(&p, "/api/v1/jobs/job_123", key).await;
    assert_eq!(
        (s, missing["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    assert!(missing["request_id"].as_str().unwrap().starts_with("req_"));
    let (s, list) = get(&p, "/api/v1/jobs?status=succeeded&type=image", key).await;
    assert_eq!(
        (s, list["data"][0]["id"].as_str()),
        (200, Some(id.as_str()))
    );

    // A video, probed with ffprobe, announced by a signed webhook.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, String, String, String)>();
    let server = HttpServer::new(move || {
        let tx = tx.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let tx = tx.clone();
            async move {
                let h = |n: &str| {
                    req.headers()
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_owned()
                };
                let _ = tx.send((
                    h("webhook-id"),
                    h("webhook-timestamp"),
                    h("webhook-signature"),
                    String::from_utf8_lossy(&body).into_owned(),
                ));
                HttpResponse::NoContent().finish()
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let hook = format!(
        "http://127.0.0.1:{}/sume/webhooks",
        server.addrs()[0].port()
    );
    tokio::spawn(server.run());
    let (s, _, video) = call(
        &p,
        Method::POST,
        "/api/v1/videos/generations",
        key,
        Some(json!({"prompt": "Morning light on a serum bottle", "duration_s": 2, "aspect_ratio": "9:16", "webhook_url": hook})),
        None,
    )
    .await;
    assert_eq!(s, 202, "{video}");
    let vid = video["id"].as_str().unwrap();
    assert_eq!(wait_final(&p, vid, key).await["status"], "succeeded");
    let (_, result) = get(&p, &format!("/api/v1/jobs/{vid}/result"), key).await;
    let (_, mp4) = download(&p, result["outputs"][0]["url"].as_str().unwrap()).await;
    let file = std::env::temp_dir().join(format!("{}.mp4", testkit::unique("bb-")));
    std::fs::write(&file, &mp4).unwrap();
    let probe = std::process::Command::new("ffprobe")
        .args(["-v", "error", "-print_format", "json", "-show_streams"])
        .arg(&file)
        .output()
        .expect("ffprobe (make tools installs ffmpeg)");
    let _ = std::fs::remove_file(&file);
    let probe: Value = serde_json::from_slice(&probe.stdout).unwrap();
    assert_eq!(probe["streams"][0]["codec_name"], "h264");
    assert_eq!(
        (
            probe["streams"][0]["width"].as_u64(),
            probe["streams"][0]["height"].as_u64()
        ),
        (Some(360), Some(640))
    );

    let (msg_id, timestamp, signature, body) =
        tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .unwrap()
            .unwrap();
    let secret = p.operate(
        "generation-api",
        ("GENERATION_API__DATABASE__URL", p.generation_db.as_str()),
        &["webhook-secret", "--workspace", &ws.id],
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(
                // stdout also carries the kit's log lines; the secret is its own line.
                secret
                    .lines()
                    .find_map(|l| l.strip_prefix("whsec_"))
                    .unwrap(),
            )
            .unwrap(),
    )
    .unwrap();
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(signature, expected);
    let event: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (event["type"].as_str(), event["data"]["id"].as_str()),
        (Some("job.succeeded"), Some(vid))
    );

    // Test mode: same request, same bytes, nothing spent, nothing shared with live.
    let (s, _, t) = call(
        &p,
        Method::POST,
        "/api/v1/images/generations",
        &ws.test,
        Some(json!({"prompt": "free"})),
        None,
    )
    .await;
    assert_eq!(s, 202);
    assert_eq!(t["livemode"], false);
    let (s, _) = get(
        &p,
        &format!("/api/v1/jobs/{}", t["id"].as_str().unwrap()),
        key,
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn generation_credit_rules_through_the_gateway() {
    let p = Platform::start().await;
    let env = ("GENERATION_API__DATABASE__URL", p.generation_db.clone());
    let grant = |ws: &str, amount: &str| {
        p.operate(
            "generation-api",
            (env.0, env.1.as_str()),
            &["grant", "--workspace", ws, "--amount", amount],
        );
    };

    // 20 concurrent creates against a balance covering 6.
    let ws = workspace(&p, "growth", "growth", false);
    grant(&ws.id, "24");
    let mut tasks = Vec::new();
    for i in 0..20 {
        let req = p
            .request(
                Method::POST,
                HOST,
                "/api/v1/images/generations",
                Some(&ws.live),
            )
            .header("content-type", "application/json")
            .body(json!({"prompt": format!("concurrent {i}")}).to_string());
        tasks.push(tokio::spawn(async move {
            req.send().await.unwrap().status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        6,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 402).count(),
        14,
        "{statuses:?}"
    );

    // 402 with the shortfall; dry run; idempotent replay and 409; cancel with refund.
    let ws = workspace(&p, "starter", "growth", false);
    grant(&ws.id, "10");
    let key = ws.live.as_str();
    let (s, _, e) = call(
        &p,
        Method::POST,
        "/api/v1/images/generations",
        key,
        Some(json!({"prompt": "x", "image_count": 3})),
        None,
    )
    .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (402, Some("insufficient_credits")),
        "{e}"
    );
    assert_eq!(e["error"]["details"]["shortfall"], 2);
    let (s, _, dry) = call(
        &p,
        Method::POST,
        "/api/v1/videos/generations",
        key,
        Some(json!({"prompt": "x", "duration_s": 4, "dry_run": true})),
        None,
    )
    .await;
    assert_eq!((s, dry["credits"]["estimated"].as_i64()), (200, Some(8)));
    let (s, _, bad) = call(
        &p,
        Method::POST,
        "/api/v1/images/generations",
        key,
        Some(json!({"prompt": "x", "workspace_id": ws.id})),
        None,
    )
    .await;
    assert_eq!(
        (s, bad["error"]["details"]["field"].as_str()),
        (400, Some("workspace_id"))
    );
    grant(&ws.id, "90");
    // Long enough that the worker is still rendering it when the cancel arrives.
    let body = json!({"prompt": "A long take", "duration_s": 30});
    let (s, _, first) = call(
        &p,
        Method::POST,
        "/api/v1/videos/generations",
        key,
        Some(body.clone()),
        Some("bb-1"),
    )
    .await;
    assert_eq!(s, 202, "{first}");
    let (s, h, replay) = call(
        &p,
        Method::POST,
        "/api/v1/videos/generations",
        key,
        Some(body),
        Some("bb-1"),
    )
    .await;
    assert_eq!((s, replay["id"].clone()), (202, first["id"].clone()));
    assert_eq!(h.get("idempotent-replayed").unwrap(), "true");
    let (s, _, reused) = call(
        &p,
        Method::POST,
        "/api/v1/videos/generations",
        key,
        Some(json!({"prompt": "other"})),
        Some("bb-1"),
    )
    .await;
    assert_eq!(
        (s, reused["error"]["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );
    let id = first["id"].as_str().unwrap();
    let (s, _, canceled) = call(
        &p,
        Method::POST,
        &format!("/api/v1/jobs/{id}/cancel"),
        key,
        None,
        None,
    )
    .await;
    assert!(s == 200 || s == 202, "{canceled}");
    assert_eq!(wait_final(&p, id, key).await["status"], "canceled");
    let (_, credits) = get(&p, "/api/v1/credits", key).await;
    assert_eq!(
        (credits["available"].as_i64(), credits["reserved"].as_i64()),
        (Some(100), Some(0)),
        "refunded: {credits}"
    );

    // 429 capacity_exceeded: the free plan runs two jobs at once; a face swap of three targets is three jobs.
    let ws = workspace(&p, "free", "growth", false);
    grant(&ws.id, "100");
    let (s, _, full) = call(
        &p,
        Method::POST,
        "/api/v1/face-swap",
        &ws.live,
        Some(
            json!({"source_asset_id": "ast_face", "target_asset_ids": ["ast_1", "ast_2", "ast_3"]}),
        ),
        None,
    )
    .await;
    assert_eq!(
        (s, full["error"]["code"].as_str()),
        (429, Some("capacity_exceeded")),
        "{full}"
    );
    let (s, _, two) = call(
        &p,
        Method::POST,
        "/api/v1/face-swap",
        &ws.live,
        Some(json!({"source_asset_id": "ast_face", "target_asset_ids": ["ast_1", "ast_2"]})),
        None,
    )
    .await;
    assert_eq!((s, two["data"].as_array().map(Vec::len)), (202, Some(2)));
}
