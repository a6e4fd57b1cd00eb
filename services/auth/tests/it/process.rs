//! The `auth-service` binary as `make run` and Kubernetes use it, and the
//! guard that `schema.rs` matches the migrations.

use std::{process::Command, time::Duration};
use testkit::process::{ServiceProcess, free_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_then_serve_then_stop_gracefully() {
    let database = db::with_database(&testkit::pg_url(), &testkit::unique("t_authproc_")).unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_auth-service"))
        .arg("migrate")
        .env("AUTH__DATABASE__URL", &database)
        .env("RUST_LOG", "warn")
        .status()
        .unwrap();
    assert!(status.success(), "auth-service migrate failed");

    let (http, grpc) = (free_port(), free_port());
    let env = [
        ("AUTH__LISTEN", format!("127.0.0.1:{http}")),
        ("AUTH__GRPC_LISTEN", format!("127.0.0.1:{grpc}")),
        ("AUTH__DATABASE__URL", database.clone()),
        ("AUTH__REDIS__URL", testkit::redis_url()),
        (
            "AUTH__REVOCATION_CHANNEL",
            testkit::unique("auth:revocations:proc:"),
        ),
        ("AUTH__WORKERS", "1".into()),
        ("RUST_LOG", "warn".into()),
    ];
    let mut process = ServiceProcess::spawn(
        "auth-service",
        &["serve"],
        &env,
        &format!("http://127.0.0.1:{http}/readyz"),
    )
    .await;
    // The default operator token of local development.
    let res = testkit::http()
        .post(format!("http://127.0.0.1:{http}/v1/tenants"))
        .bearer_auth("dev-operator-token")
        .json(&serde_json::json!({ "product": "admin", "name": "Demo Shop" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let mut client =
        rpc::auth::auth_client::AuthClient::connect(format!("http://127.0.0.1:{grpc}"))
            .await
            .unwrap();
    let refused = client
        .authenticate(rpc::auth::AuthenticateRequest {
            token: "copt_live_nonsense".into(),
            product: rpc::auth::Product::Admin as i32,
            audience: "admin-api".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(refused.error, rpc::auth::AuthError::Malformed as i32);

    let exit = process
        .terminate(Duration::from_secs(20))
        .expect("exits after SIGTERM");
    assert!(exit.success(), "{exit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_rs_matches_the_migrations() {
    let url = testkit::fresh_db("auth", auth_service::MIGRATIONS).await;
    testkit::schema_drift::assert_matches(
        &url,
        testkit::declared_tables!(auth_service::schema => tenants, users, api_keys, signing_keys),
        &[],
    )
    .await;
}
