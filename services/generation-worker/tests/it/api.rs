//! The API without a worker: reads, validation, dry run, idempotency,
//! tenancy from the key only, the OpenAPI document.

use crate::harness::TestApp;
use diesel::sql_types::Uuid as SqlUuid;
use diesel_async::RunQueryDsl;
use serde_json::json;

#[tokio::test]
async fn read_endpoints_answer_for_a_seeded_workspace() {
    let app = TestApp::spawn().await;
    let key = app.key("live");
    generation_api::seed::run(
        &app.db_url,
        &generation_api::seed::SeedArgs {
            workspace: key.workspace(),
            name: "Demo".into(),
            plan: "starter".into(),
        },
    )
    .await
    .unwrap();
    let credits = app.get(&key, "/api/v1/credits").await;
    credits.assert(200);
    assert_eq!(credits.body["plan"], "starter");
    assert_eq!(credits.body["balance"], 500);
    assert_eq!(credits.body["available"], 500);
    assert_eq!(credits.body["max_concurrent_jobs"], 5);
    assert_eq!(credits.body["active_jobs"], 0);

    let brands = app.get(&key, "/api/v1/brand").await;
    brands.assert(200);
    let brand = &brands.body["data"][0];
    assert_eq!(brand["name"], "Glow Skincare");
    assert!(brand["id"].as_str().unwrap().starts_with("brand_"));
    assert!(
        !brands.text.contains("internal"),
        "internal notes never leave: {}",
        brands.text
    );
    let current = app.get(&key, "/api/v1/brand/current").await;
    current.assert(200);
    assert_eq!(current.body["id"], brand["id"]);
    assert_eq!(current.body["palette"][0], "#F6EFE9");

    let avatars = app.get(&key, "/api/v1/avatars").await;
    avatars.assert(200);
    let all = avatars.body["data"].as_array().unwrap();
    assert_eq!(all.len(), 7, "six public and the workspace's own");
    assert_eq!(
        all.iter()
            .filter(|a| a["visibility"] == "workspace")
            .count(),
        1
    );
    let female = app
        .get(&key, "/api/v1/avatars?gender=female&type=stock")
        .await;
    assert!(
        female.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["gender"] == "female" && a["type"] == "stock")
    );
    assert_eq!(female.body["data"].as_array().unwrap().len(), 2);
    app.get(&key, "/api/v1/avatars?gender=robot")
        .await
        .assert_error(400, "validation_failed");
    app.get(&key, "/api/v1/avatars?workspace_id=x")
        .await
        .assert_error(400, "invalid_request");
    let one = app
        .get(
            &key,
            &format!("/api/v1/avatars/{}", all[0]["id"].as_str().unwrap()),
        )
        .await;
    one.assert(200);
    assert_eq!(one.body["name"], all[0]["name"]);

    // Another workspace sees the public avatars but not this workspace's, nor its brand.
    let other = app.key("live");
    let own = all.iter().find(|a| a["visibility"] == "workspace").unwrap();
    app.get(
        &other,
        &format!("/api/v1/avatars/{}", own["id"].as_str().unwrap()),
    )
    .await
    .assert_error(404, "not_found");
    assert_eq!(
        app.get(&other, "/api/v1/avatars").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    app.get(&other, "/api/v1/brand/current")
        .await
        .assert_error(404, "not_found");
    app.get(&other, "/api/v1/jobs/job_123")
        .await
        .assert_error(404, "not_found");
}

#[tokio::test]
async fn jobs_list_filters_and_paginates_newest_first() {
    let app = TestApp::spawn().await;
    let key = app.key("live");
    app.fund(&key, "enterprise", 1000).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let body = if i % 2 == 0 {
            json!({"prompt": format!("image {i}")})
        } else {
            json!({"prompt": format!("video {i}"), "duration_s": 1})
        };
        let path = if i % 2 == 0 {
            "/api/v1/images/generations"
        } else {
            "/api/v1/videos/generations"
        };
        let r = app.post(&key, path, &body).await;
        r.assert(202);
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let page1 = app.get(&key, "/api/v1/jobs?limit=2").await;
    page1.assert(200);
    assert_eq!(page1.body["object"], "list");
    let got: Vec<&str> = page1.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[4].as_str(), ids[3].as_str()]);
    assert_eq!(page1.body["has_more"], true);
    let cursor = page1.body["next_cursor"].as_str().unwrap();
    let page2 = app
        .get(&key, &format!("/api/v1/jobs?limit=2&cursor={cursor}"))
        .await;
    let got: Vec<&str> = page2.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, vec![ids[2].as_str(), ids[1].as_str()]);
    // A cursor is bound to its filters.
    app.get(
        &key,
        &format!("/api/v1/jobs?limit=2&type=image&cursor={cursor}"),
    )
    .await
    .assert_error(400, "invalid_cursor");
    let videos = app.get(&key, "/api/v1/jobs?type=video&status=queued").await;
    assert_eq!(videos.body["data"].as_array().unwrap().len(), 2);
    assert!(
        videos.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["type"] == "video")
    );
    app.get(&key, "/api/v1/jobs?status=running")
        .await
        .assert_error(400, "validation_failed");
    app.get(&key, "/api/v1/jobs?limit=101")
        .await
        .assert_error(400, "validation_failed");
    app.get(&key, "/api/v1/jobs?created_after=yesterday")
        .await
        .assert_error(400, "validation_failed");
    let none = app.get(&key, "/api/v1/jobs?created_after=2999-01-01").await;
    assert_eq!(none.body["data"], json!([]));
    let all = app
        .get(&key, "/api/v1/jobs?created_before=2999-01-01T00:00:00Z")
        .await;
    assert_eq!(all.body["data"].as_array().unwrap().len(), 5);
    // A queued job's result is not there yet.
    let pending = app
        .get(&key, &format!("/api/v1/jobs/{}/result", ids[0]))
        .await;
    pending.assert(202);
    assert_eq!(pending.header("retry-after"), Some("2"));
    assert_eq!(pending.body["status"], "queued");
}

#[tokio::test]
async fn bodies_are_validated_field_by_field_and_never_carry_a_tenant() {
    let app = TestApp::spawn().await;
    let key = app.key("live");
    app.fund(&key, "starter", 100).await;
    let cases = [
        (
            "/api/v1/images/generations",
            json!({"prompt": "x", "workspace_id": "ws_1"}),
            400,
            "invalid_request",
            "workspace_id",
        ),
        (
            "/api/v1/images/generations",
            json!({"prompt": "x", "user_id": "usr_1"}),
            400,
            "invalid_request",
            "user_id",
        ),
        (
            "/api/v1/images/generations",
            json!({}),
            400,
            "validation_failed",
            "prompt",
        ),
        (
            "/api/v1/images/generations",
            json!({"prompt": "x", "image_count": 5}),
            400,
            "validation_failed",
            "image_count",
        ),
        (
            "/api/v1/images/generations",
            json!({"prompt": "x", "aspect_ratio": "2:1"}),
            400,
            "validation_failed",
            "aspect_ratio",
        ),
        (
            "/api/v1/images/generations",
            json!({"prompt": "x", "colour": "red"}),
            400,
            "validation_failed",
            "colour",
        ),
        (
            "/api/v1/images/generations",
            json!({"prompt": "x", "brand_id": "brand_nope"}),
            400,
            "validation_failed",
            "brand_id",
        ),
        (
            "/api/v1/images/generations",
            json!({"prompt": "x", "webhook_url": "ftp://x"}),
            400,
            "validation_failed",
            "webhook_url",
        ),
        (
            "/api/v1/videos/generations",
            json!({"prompt": "x", "duration_s": 0}),
            400,
            "validation_failed",
            "duration_s",
        ),
        (
            "/api/v1/ads/videos",
            json!({"product": "Serum"}),
            400,
            "validation_failed",
            "script",
        ),
        (
            "/api/v1/ads/videos",
            json!({"product": "Serum", "brief": "b", "avatar_id": "avt_0193a0000000700080000000000000ff"}),
            400,
            "validation_failed",
            "avatar_id",
        ),
        (
            "/api/v1/face-swap",
            json!({"source_asset_id": "ast_1", "target_asset_ids": []}),
            400,
            "validation_failed",
            "target_asset_ids",
        ),
        (
            "/api/v1/reference-analysis",
            json!({"url": "https://www.youtube.com/watch?v=1"}),
            400,
            "validation_failed",
            "url",
        ),
    ];
    for (path, body, status, code, field) in cases {
        let r = app.post(&key, path, &body).await;
        r.assert_error(status, code);
        assert_eq!(
            r.body["error"]["details"]["field"], field,
            "{path} {body}: {}",
            r.text
        );
    }
    let r = app
        .request(
            reqwest::Method::POST,
            Some(&key),
            "/api/v1/images/generations",
            None,
            None,
        )
        .await;
    r.assert_error(400, "invalid_json");
    // Nothing was reserved by any refusal.
    assert_eq!(app.get(&key, "/api/v1/credits").await.body["reserved"], 0);
}

#[tokio::test]
async fn scopes_and_tokens_are_enforced() {
    let app = TestApp::spawn().await;
    let key = app.key("live");
    let reader = app.key_of(&key, "live", &["read"]);
    app.get(&reader, "/api/v1/credits").await.assert(200);
    let r = app
        .post(
            &reader,
            "/api/v1/images/generations",
            &json!({"prompt": "x"}),
        )
        .await;
    r.assert_error(403, "insufficient_scope");
    assert_eq!(r.body["error"]["details"]["required_scope"], "generate");
    let anonymous = app
        .request(reqwest::Method::GET, None, "/api/v1/credits", None, None)
        .await;
    anonymous.assert_error(401, "invalid_token");
    // The OpenAPI document is public and generated from the code.
    let doc = app
        .request(
            reqwest::Method::GET,
            None,
            "/api/v1/openapi.json",
            None,
            None,
        )
        .await;
    doc.assert(200);
    for path in [
        "/api/v1/me",
        "/api/v1/credits",
        "/api/v1/jobs/{job_id}/result",
        "/api/v1/face-swap",
        "/api/v1/reference-analysis",
    ] {
        assert!(doc.body["paths"][path].is_object(), "{path} missing");
    }
    let committed: serde_json::Value =
        serde_json::from_str(include_str!("../../../generation-api/openapi.json")).unwrap();
    if std::env::var("UPDATE_OPENAPI").is_ok() {
        std::fs::write(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../generation-api/openapi.json"
            ),
            serde_json::to_string_pretty(&doc.body).unwrap() + "\n",
        )
        .unwrap();
    } else {
        assert_eq!(
            doc.body, committed,
            "openapi.json is stale: UPDATE_OPENAPI=1 cargo nextest run -p generation-worker openapi"
        );
    }
}

#[tokio::test]
async fn dry_run_prices_without_a_job_or_a_hold() {
    let app = TestApp::spawn().await;
    let key = app.key("live");
    app.fund(&key, "starter", 10).await;
    let r = app
        .post(&key, "/api/v1/face-swap", &json!({"source_asset_id": "ast_face", "target_asset_ids": ["ast_a", "ast_b", "ast_c"], "dry_run": true}))
        .await;
    r.assert(200);
    assert_eq!(r.body["object"], "dry_run");
    assert_eq!(r.body["job_count"], 3);
    assert_eq!(r.body["credits"]["estimated"], 9);
    assert_eq!(r.body["credits"]["available"], 10);
    assert_eq!(r.body["requests"][2]["target_asset_id"], "ast_c");
    // Dry run still validates.
    app.post(
        &key,
        "/api/v1/images/generations",
        &json!({"dry_run": true}),
    )
    .await
    .assert_error(400, "validation_failed");
    assert_eq!(app.get(&key, "/api/v1/jobs").await.body["data"], json!([]));
    assert_eq!(app.get(&key, "/api/v1/credits").await.body["reserved"], 0);
}

#[tokio::test]
async fn idempotent_creates_replay_and_refuse_another_body() {
    let app = TestApp::spawn().await;
    let key = app.key("live");
    app.fund(&key, "starter", 100).await;
    let body = json!({"prompt": "Clean skincare product photo", "image_count": 1});
    let first = app
        .post_keyed(&key, "/api/v1/images/generations", &body, "create-1")
        .await;
    first.assert(202);
    let again = app
        .post_keyed(&key, "/api/v1/images/generations", &body, "create-1")
        .await;
    again.assert(202);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["id"], first.body["id"]);
    let other = app
        .post_keyed(
            &key,
            "/api/v1/images/generations",
            &json!({"prompt": "something else"}),
            "create-1",
        )
        .await;
    other.assert_error(409, "idempotency_key_reused");
    assert_eq!(
        app.get(&key, "/api/v1/jobs").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(app.get(&key, "/api/v1/credits").await.body["reserved"], 4);
}

#[tokio::test]
async fn face_swap_creates_one_job_per_target_and_capacity_is_enforced() {
    let app = TestApp::spawn().await;
    let key = app.key("live");
    app.fund(&key, "free", 100).await; // free: 2 jobs at once
    let r = app
        .post(
            &key,
            "/api/v1/face-swap",
            &json!({"source_asset_id": "ast_face", "target_asset_ids": ["ast_a", "ast_b"]}),
        )
        .await;
    r.assert(202);
    assert_eq!(r.body["object"], "list");
    let jobs = r.body["data"].as_array().unwrap();
    assert_eq!(jobs.len(), 2);
    assert_ne!(jobs[0]["id"], jobs[1]["id"]);
    assert!(
        jobs.iter()
            .all(|j| j["type"] == "face_swap" && j["credits"]["reserved"] == 3)
    );
    let full = app
        .post(
            &key,
            "/api/v1/images/generations",
            &json!({"prompt": "one more"}),
        )
        .await;
    full.assert_error(429, "capacity_exceeded");
    assert_eq!(full.body["error"]["details"]["max_concurrent_jobs"], 2);
    assert_eq!(full.body["error"]["details"]["active_jobs"], 2);
    assert!(full.header("retry-after").is_some());
    let credits = app.get(&key, "/api/v1/credits").await;
    assert_eq!(
        (
            credits.body["active_jobs"].as_i64(),
            credits.body["reserved"].as_i64()
        ),
        (Some(2), Some(6))
    );
    // Test mode has its own capacity.
    let test = app.key_of(&key, "test", &["read", "generate"]);
    app.post(
        &test,
        "/api/v1/images/generations",
        &json!({"prompt": "one more"}),
    )
    .await
    .assert(202);
}

#[tokio::test]
async fn reference_analysis_is_a_priced_job() {
    let app = TestApp::spawn().await;
    let key = app.key("live");
    app.fund(&key, "starter", 100).await;
    let r = app
        .post(
            &key,
            "/api/v1/reference-analysis",
            &json!({"url": "https://www.instagram.com/reel/C1a2B3c4D5e/"}),
        )
        .await;
    r.assert(202);
    assert_eq!(r.body["type"], "reference_analysis");
    assert_eq!(r.body["credits"]["reserved"], 5);
    assert_eq!(r.body["request"]["platform"], "instagram");
    // The job row is its queue entry.
    let id = generation_api::ids::parse("job", r.body["id"].as_str().unwrap()).unwrap();
    let mut c = app.conn().await;
    let n = diesel::sql_query(
        "SELECT 1 FROM jobs WHERE id = $1 AND status = 'queued' AND deadline_at > now()",
    )
    .bind::<SqlUuid, _>(id)
    .execute(&mut c)
    .await
    .unwrap();
    assert_eq!(n, 1);
}
