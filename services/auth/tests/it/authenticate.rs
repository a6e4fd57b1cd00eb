//! gRPC `Authenticate` and `ResolveProject`.

use crate::{TestApp, error_of};
use auth_core::jwt::JwtVerifier;
use rpc::auth::{AuthError, Product, ResolveProjectRequest};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mint_authenticate_revoke_then_refused() {
    let app = TestApp::spawn().await;
    let (tenant, key) = app.tenant_and_key("admin").await;
    let token = key["key"].as_str().unwrap();
    assert!(token.starts_with("copt_live_"));

    let res = app.authenticate(token, Product::Admin).await;
    assert_eq!(error_of(&res), AuthError::Unspecified);
    let p = res.principal.clone().expect("principal");
    assert_eq!(p.tenant_id, tenant["id"].as_str().unwrap());
    assert_eq!(p.key_id, key["id"].as_str().unwrap());
    assert_eq!(p.scopes, vec!["customers:read".to_owned()]);
    assert_eq!(
        (p.tier.as_str(), p.env.as_str(), p.product),
        ("starter", "live", Product::Admin as i32)
    );
    assert!(
        res.cache_ttl_seconds > 0 && res.cache_ttl_seconds <= 30,
        "{}",
        res.cache_ttl_seconds
    );
    assert!(res.jwt_expires_at > auth_core::jwt::now());
    let verified = JwtVerifier::remote(app.jwks_url(), "admin-api")
        .verify(&res.internal_jwt)
        .await
        .unwrap();
    assert_eq!(verified.key_id, p.key_id);
    assert_eq!(verified.tenant_id.to_string(), p.tenant_id);

    // A second call is served by the in-process cache.
    let before = app.db_lookups();
    let again = app.authenticate(token, Product::Admin).await;
    assert_eq!(error_of(&again), AuthError::Unspecified);
    assert_eq!(app.db_lookups(), before);

    let (status, revoked) = app
        .post(
            &format!("/v1/keys/{}/revoke", key["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    let res = app.authenticate(token, Product::Admin).await;
    assert_eq!(error_of(&res), AuthError::Revoked);
    assert!(res.principal.is_none() && res.internal_jwt.is_empty());

    // Revoking again is idempotent and keeps the first revocation time.
    let (status, again) = app
        .post(
            &format!("/v1/keys/{}/revoke", key["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(again["revoked_at"], revoked["revoked_at"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolled_key_works_during_its_grace_period_only() {
    let app = TestApp::spawn().await;
    let (_, key) = app.tenant_and_key("partner").await;
    let old_token = key["key"].as_str().unwrap().to_owned();
    assert_eq!(
        error_of(&app.authenticate(&old_token, Product::Partner).await),
        AuthError::Unspecified
    );

    let (status, rolled) = app
        .post(
            &format!("/v1/keys/{}/roll", key["id"].as_str().unwrap()),
            json!({ "grace_seconds": 2 }),
        )
        .await;
    assert_eq!(status, 201, "{rolled}");
    let new_token = rolled["key"].as_str().unwrap().to_owned();
    assert_ne!(new_token, old_token);
    assert!(new_token.starts_with("sumi_live_"));
    assert_eq!(rolled["scopes"], key["scopes"]);
    assert_eq!(rolled["rolled_from"]["id"], key["id"]);
    assert_eq!(rolled["rolled_from"]["status"], "rolling");
    assert_eq!(rolled["rolled_from"]["replaced_by"], rolled["id"]);

    let during = app.authenticate(&old_token, Product::Partner).await;
    assert_eq!(error_of(&during), AuthError::Unspecified);
    assert!(
        during.cache_ttl_seconds <= 2,
        "cache ttl {} outlives the grace",
        during.cache_ttl_seconds
    );
    assert_eq!(
        error_of(&app.authenticate(&new_token, Product::Partner).await),
        AuthError::Unspecified
    );

    // Rolling a key that is already being rolled is refused.
    let (status, body) = app
        .post(
            &format!("/v1/keys/{}/roll", key["id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("invalid_state"))
    );

    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        error_of(&app.authenticate(&old_token, Product::Partner).await),
        AuthError::Revoked
    );
    assert_eq!(
        error_of(&app.authenticate(&new_token, Product::Partner).await),
        AuthError::Unspecified
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_key_is_refused() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("admin").await;
    let expires_at = (time::OffsetDateTime::now_utc() + time::Duration::seconds(2))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let key = app
        .mint(json!({ "tenant_id": tenant["id"], "name": "short", "scopes": ["orders:read"], "expires_at": expires_at }))
        .await;
    let token = key["key"].as_str().unwrap();
    let live = app.authenticate(token, Product::Admin).await;
    assert_eq!(error_of(&live), AuthError::Unspecified);
    assert!(
        live.cache_ttl_seconds <= 2,
        "cache ttl {} outlives the key",
        live.cache_ttl_seconds
    );
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(
        error_of(&app.authenticate(token, Product::Admin).await),
        AuthError::Expired
    );
    let (_, view) = app
        .get(&format!("/v1/keys/{}", key["id"].as_str().unwrap()))
        .await;
    assert_eq!(view["status"], "expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_of_another_product_is_refused() {
    let app = TestApp::spawn().await;
    let (_, key) = app.tenant_and_key("admin").await;
    let token = key["key"].as_str().unwrap();
    let before = app.db_lookups();
    for product in [Product::Partner, Product::Generation] {
        let res = app.authenticate(token, product).await;
        assert_eq!(error_of(&res), AuthError::WrongProduct);
        assert!(res.principal.is_none());
    }
    assert_eq!(
        app.db_lookups(),
        before,
        "the prefix decides without a query"
    );
    // An unspecified product is a caller bug, answered by status.
    let status = app
        .grpc()
        .await
        .authenticate(rpc::auth::AuthenticateRequest {
            token: token.to_owned(),
            product: Product::Unspecified as i32,
            audience: "admin-api".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_character_typo_is_refused_by_the_checksum_without_a_query() {
    let app = TestApp::spawn().await;
    let (_, key) = app.tenant_and_key("generation").await;
    let token = key["key"].as_str().unwrap().to_owned();
    let before = app.db_lookups();
    let last = token.len() - 1;
    for i in [last, last - 10, token.len() - 32] {
        let mut typo = token.clone().into_bytes();
        typo[i] = if typo[i] == b'x' { b'y' } else { b'x' };
        let typo = String::from_utf8(typo).unwrap();
        let res = app.authenticate(&typo, Product::Generation).await;
        assert_eq!(error_of(&res), AuthError::Malformed, "{i}");
    }
    for garbage in [
        "",
        "Bearer",
        "sume_live_short",
        "sume_prod_aB3xY9zKqMnPwR2vT4uH7jL5sQ8eFc1g",
    ] {
        assert_eq!(
            error_of(&app.authenticate(garbage, Product::Generation).await),
            AuthError::Malformed
        );
    }
    assert_eq!(
        app.db_lookups(),
        before,
        "malformed keys must not reach PostgreSQL"
    );

    // A well-formed key nobody minted costs one query, then is cached as unknown.
    let stranger =
        auth_core::key::generate(auth_core::Product::Generation, auth_core::key::KeyEnv::Live);
    assert_eq!(
        error_of(&app.authenticate(&stranger, Product::Generation).await),
        AuthError::Unknown
    );
    assert_eq!(
        error_of(&app.authenticate(&stranger, Product::Generation).await),
        AuthError::Unknown
    );
    assert_eq!(app.db_lookups(), before + 1);

    // The genuine key still works and carries its user.
    let res = app.authenticate(&token, Product::Generation).await;
    assert_eq!(
        res.principal.unwrap().user_id,
        key["user_id"].as_str().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_the_cache_every_call_queries_postgres() {
    let app = TestApp::spawn_with(|c| c.key_cache_ttl_ms = 0).await;
    let (_, key) = app.tenant_and_key("admin").await;
    let before = app.db_lookups();
    for _ in 0..3 {
        assert_eq!(
            error_of(
                &app.authenticate(key["key"].as_str().unwrap(), Product::Admin)
                    .await
            ),
            AuthError::Unspecified
        );
    }
    assert_eq!(app.db_lookups(), before + 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_mints_are_distinct_and_valid() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let tenant = app.tenant("admin").await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        let app = std::sync::Arc::clone(&app);
        let tid = tenant["id"].clone();
        tasks.push(tokio::spawn(async move {
            app.mint(json!({ "tenant_id": tid, "name": format!("k{i}"), "scopes": ["customers:read", "orders:read"] }))
                .await
        }));
    }
    let mut keys = Vec::new();
    for t in tasks {
        keys.push(t.await.unwrap());
    }
    let ids: std::collections::HashSet<_> = keys
        .iter()
        .map(|k| k["id"].as_str().unwrap().to_owned())
        .collect();
    let tokens: std::collections::HashSet<_> = keys
        .iter()
        .map(|k| k["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!((ids.len(), tokens.len()), (20, 20));
    for k in &keys {
        let res = app
            .authenticate(k["key"].as_str().unwrap(), Product::Admin)
            .await;
        assert_eq!(res.principal.unwrap().key_id, k["id"].as_str().unwrap());
    }
    let (_, list) = app
        .get(&format!(
            "/v1/keys?tenant_id={}&limit=100",
            tenant["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 20);
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("key").is_none() && k.get("key_hash").is_none())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn last_used_is_written_off_the_request_path() {
    let app = TestApp::spawn().await;
    let (_, key) = app.tenant_and_key("admin").await;
    assert!(key["last_used_at"].is_null());
    for _ in 0..5 {
        app.authenticate(key["key"].as_str().unwrap(), Product::Admin)
            .await;
    }
    let path = format!("/v1/keys/{}", key["id"].as_str().unwrap());
    let mut seen = None;
    for _ in 0..50 {
        let (_, view) = app.get(&path).await;
        if !view["last_used_at"].is_null() {
            seen = Some(view["last_used_at"].clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(seen.is_some(), "last_used_at was never flushed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn projects_resolve_by_public_id() {
    let app = TestApp::spawn().await;
    let tenant = app.tenant("partner").await;
    let public_id = tenant["public_id"].as_str().unwrap();
    assert!(public_id.starts_with("proj_"));
    let res = app
        .grpc()
        .await
        .resolve_project(ResolveProjectRequest {
            public_id: public_id.to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(res.tenant_id, tenant["id"].as_str().unwrap());
    assert_eq!(
        (res.public_id.as_str(), res.tier.as_str()),
        (public_id, "starter")
    );
    for unknown in ["proj_doesnotexist", "", "'; DROP TABLE tenants; --"] {
        let err = app
            .grpc()
            .await
            .resolve_project(ResolveProjectRequest {
                public_id: unknown.to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(err.code(), tonic::Code::NotFound, "{unknown}");
    }
    // Partner keys carry the public id in their principal.
    let key = app
        .mint(json!({ "tenant_id": tenant["id"], "name": "ci", "scopes": ["read"], "env": "test" }))
        .await;
    let p = app
        .authenticate(key["key"].as_str().unwrap(), Product::Partner)
        .await
        .principal
        .unwrap();
    assert_eq!((p.public_id.as_str(), p.env.as_str()), (public_id, "test"));
}
