//! Internal JWTs against the served JWKS, and signing-key rotation.

use crate::{TestApp, error_of};
use auth_core::jwt::{InternalClaims, JwtVerifier, SigningKey, now};
use base64::Engine;
use rpc::auth::{AuthError, Product};
use serde_json::json;
use std::time::Duration;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

fn kid_of(jwt: &str) -> String {
    jsonwebtoken::decode_header(jwt).unwrap().kid.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn minted_jwts_verify_and_forgeries_are_refused() {
    let app = TestApp::spawn().await;
    let (_, key) = app.tenant_and_key("admin").await;
    let token = key["key"].as_str().unwrap();
    let res = app
        .authenticate_for(token, Product::Admin, "admin-api")
        .await;
    assert_eq!(error_of(&res), AuthError::Unspecified);
    let verifier = JwtVerifier::remote(app.jwks_url(), "admin-api");
    let principal = verifier
        .verify(&res.internal_jwt)
        .await
        .expect("valid token");
    assert_eq!(principal.scopes, vec!["customers:read".to_owned()]);

    // Wrong audience: a token minted for another upstream.
    let other = app
        .authenticate_for(token, Product::Admin, "partner-api")
        .await;
    assert!(verifier.verify(&other.internal_jwt).await.is_err());
    assert!(
        JwtVerifier::remote(app.jwks_url(), "partner-api")
            .verify(&other.internal_jwt)
            .await
            .is_ok()
    );

    // alg=none with the real kid.
    let claims = InternalClaims::new(&principal, "admin-api", now(), Duration::from_secs(300));
    let header = json!({ "alg": "none", "typ": "JWT", "kid": kid_of(&res.internal_jwt) });
    let none = format!(
        "{}.{}.",
        B64.encode(header.to_string()),
        B64.encode(serde_json::to_vec(&claims).unwrap())
    );
    assert!(verifier.verify(&none).await.is_err());

    // A foreign key claiming the served kid.
    let foreign = SigningKey::generate(kid_of(&res.internal_jwt)).unwrap();
    assert!(
        verifier
            .verify(&foreign.sign(&claims).unwrap())
            .await
            .is_err()
    );

    // An expired token signed by the real key.
    let expired = InternalClaims::new(
        &principal,
        "admin-api",
        now() - 3600,
        Duration::from_secs(300),
    );
    let expired = app.state.signer.active().sign(&expired).unwrap();
    assert!(verifier.verify(&expired).await.is_err());
    // …while the same key's fresh token passes (so the refusals above are about the token).
    assert!(
        verifier
            .verify(&app.state.signer.active().sign(&claims).unwrap())
            .await
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_publishes_the_new_key_and_keeps_the_old_one_for_the_rollover() {
    let app = TestApp::spawn().await;
    let (_, key) = app.tenant_and_key("generation").await;
    let token = key["key"].as_str().unwrap();
    let before = app
        .authenticate(token, Product::Generation)
        .await
        .internal_jwt;

    let (status, rotated) = app.post("/v1/signing-keys/rotate", json!({})).await;
    assert_eq!(status, 201, "{rotated}");
    assert_eq!(
        rotated["previous"]["kid"].as_str().unwrap(),
        kid_of(&before)
    );
    let after = app
        .authenticate(token, Product::Generation)
        .await
        .internal_jwt;
    assert_eq!(kid_of(&after), rotated["kid"].as_str().unwrap());
    assert_ne!(kid_of(&after), kid_of(&before));

    let jwks: auth_core::jwt::Jwks = app
        .http
        .get(app.jwks_url())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kids: Vec<_> = jwks.keys.iter().map(|k| k.kid.clone()).collect();
    assert!(
        kids.contains(&kid_of(&before)) && kids.contains(&kid_of(&after)),
        "{kids:?}"
    );

    let verifier = JwtVerifier::remote(app.jwks_url(), "generation-api");
    assert!(verifier.verify(&after).await.is_ok());
    assert!(verifier.verify(&before).await.is_ok());

    let (_, list) = app.get("/v1/signing-keys").await;
    let statuses: Vec<_> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(statuses, vec!["active", "published"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_rollover_a_retired_key_leaves_the_jwks() {
    let app = TestApp::spawn_with(|c| c.signing_key_rollover_seconds = 0).await;
    let (_, key) = app.tenant_and_key("partner").await;
    let before = app
        .authenticate(key["key"].as_str().unwrap(), Product::Partner)
        .await
        .internal_jwt;
    let (status, _) = app.post("/v1/signing-keys/rotate", json!({})).await;
    assert_eq!(status, 201);
    let verifier = JwtVerifier::remote(app.jwks_url(), "partner-api");
    assert!(verifier.verify(&before).await.is_err());
    let after = app
        .authenticate(key["key"].as_str().unwrap(), Product::Partner)
        .await
        .internal_jwt;
    assert!(verifier.verify(&after).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_signing_keys_survive_a_restart_only_with_their_kek() {
    let kek_std = base64::engine::general_purpose::STANDARD.encode([42u8; 32]);
    let app = TestApp::spawn_with(|c| {
        c.signing_key_encryption_key = service_kit::config::Secret::new(kek_std.clone())
    })
    .await;
    let kid = app.state.signer.active().kid().to_owned();
    let url = app.state.config.database.url.expose().to_owned();

    let mut conn =
        <diesel_async::AsyncPgConnection as diesel_async::AsyncConnection>::establish(&url)
            .await
            .unwrap();
    let rows: Vec<(String, String, Vec<u8>)> = diesel_async::RunQueryDsl::load(
        diesel::QueryDsl::select(
            auth_service::schema::signing_keys::table,
            (
                auth_service::schema::signing_keys::kid,
                auth_service::schema::signing_keys::encryption,
                auth_service::schema::signing_keys::secret,
            ),
        ),
        &mut conn,
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str()),
        (kid.as_str(), "aes-256-gcm")
    );
    let plain = app.state.signer.active().pkcs8().to_vec();
    assert!(
        !rows[0]
            .2
            .windows(plain.len())
            .any(|w| w == plain.as_slice()),
        "secret stored in clear"
    );

    let config = |kek: &str| auth_service::Config {
        listen: "127.0.0.1:0".into(),
        grpc_listen: "127.0.0.1:0".into(),
        database: service_kit::config::DatabaseConfig {
            url: service_kit::config::SecretUrl::new(url.clone()),
            pool_size: 4,
            run_migrations: false,
            ..Default::default()
        },
        revocation_channel: app.channel.clone(),
        signing_key_encryption_key: service_kit::config::Secret::new(kek),
        ..auth_service::Config::default()
    };
    let again = auth_service::Application::build(config(&kek_std))
        .await
        .expect("restart with the kek");
    assert_eq!(again.state().signer.active().kid(), kid);
    assert!(
        auth_service::Application::build(config("")).await.is_err(),
        "no kek: refuses to start"
    );
}
