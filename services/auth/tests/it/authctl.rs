//! The `authctl` CLI against a running service: the JSON outputs `make run` relies on.

use crate::{TOKEN, TestApp, error_of};
use rpc::auth::{AuthError, Product};
use serde_json::Value;
use std::process::Command;

fn authctl(app: &TestApp, args: &[&str]) -> (bool, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_authctl"))
        .args(["--url", &app.base, "--json"])
        .args(args)
        .env("AUTH_OPERATOR_TOKEN", TOKEN)
        .output()
        .expect("run authctl");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    (
        out.status.success(),
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        stderr,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authctl_writes_stable_json_for_scripts() {
    let app = TestApp::spawn().await;
    let (ok, shop, _) = tokio::task::block_in_place(|| {
        authctl(
            &app,
            &[
                "tenant",
                "create",
                "--product",
                "admin",
                "--name",
                "Demo Shop",
            ],
        )
    });
    assert!(ok);
    assert_eq!(
        (shop["product"].as_str(), shop["name"].as_str()),
        (Some("admin"), Some("Demo Shop"))
    );
    assert!(shop["id"].as_str().is_some() && shop["created_at"].as_str().is_some());

    let (_, project, _) = tokio::task::block_in_place(|| {
        authctl(
            &app,
            &["tenant", "create", "--product", "partner", "--name", "Demo"],
        )
    });
    assert!(project["public_id"].as_str().unwrap().starts_with("proj_"));

    let (_, ws, _) = tokio::task::block_in_place(|| {
        authctl(
            &app,
            &[
                "tenant",
                "create",
                "--product",
                "generation",
                "--name",
                "Studio",
            ],
        )
    });
    let ws_id = ws["id"].as_str().unwrap();
    let (ok, user, _) = tokio::task::block_in_place(|| {
        authctl(
            &app,
            &[
                "user",
                "create",
                "--tenant",
                ws_id,
                "--email",
                "ada@example.com",
            ],
        )
    });
    assert!(ok);
    assert!(user["id"].as_str().unwrap().starts_with("usr_"));
    assert_eq!(user["email"], "ada@example.com");

    let shop_id = shop["id"].as_str().unwrap();
    let (ok, key, _) = tokio::task::block_in_place(|| {
        authctl(
            &app,
            &[
                "key",
                "mint",
                "--tenant",
                shop_id,
                "--name",
                "demo",
                "--scopes",
                "customers:read,orders:read",
                "--tier",
                "starter",
                "--env",
                "live",
                "--expires-in-days",
                "30",
            ],
        )
    });
    assert!(ok);
    assert!(key["id"].as_str().unwrap().starts_with("key_"));
    assert!(key["hint"].as_str().unwrap().starts_with("copt_live_"));
    assert_eq!(
        key["scopes"],
        serde_json::json!(["customers:read", "orders:read"])
    );
    assert_eq!(key["tier"], "starter");
    assert!(key["expires_at"].as_str().is_some());
    let token = key["key"].as_str().unwrap();
    assert_eq!(
        error_of(&app.authenticate(token, Product::Admin).await),
        AuthError::Unspecified
    );

    let (ok, gen_key, _) = tokio::task::block_in_place(|| {
        authctl(
            &app,
            &[
                "key",
                "mint",
                "--tenant",
                ws_id,
                "--user",
                user["id"].as_str().unwrap(),
                "--name",
                "gen",
                "--scopes",
                "read,generate",
            ],
        )
    });
    assert!(ok);
    assert!(gen_key["key"].as_str().unwrap().starts_with("sume_live_"));

    let (ok, list, _) =
        tokio::task::block_in_place(|| authctl(&app, &["key", "list", "--tenant", shop_id]));
    assert!(ok);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    let key_id = key["id"].as_str().unwrap();
    let (ok, rolled, _) = tokio::task::block_in_place(|| {
        authctl(&app, &["key", "roll", key_id, "--grace-seconds", "60"])
    });
    assert!(ok);
    assert!(rolled["key"].as_str().unwrap().starts_with("copt_live_"));
    let (ok, revoked, _) =
        tokio::task::block_in_place(|| authctl(&app, &["key", "revoke", key_id]));
    assert!(ok);
    assert_eq!(revoked["status"], "revoked");

    // Refusals exit non-zero with the envelope on stderr.
    let (ok, _, stderr) = tokio::task::block_in_place(|| {
        authctl(
            &app,
            &[
                "key", "mint", "--tenant", shop_id, "--name", "x", "--scopes", "generate",
            ],
        )
    });
    assert!(!ok);
    assert!(
        stderr.contains("validation_failed") && stderr.contains("generate"),
        "{stderr}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_authctl"))
        .args(["--url", &app.base, "--token", "wrong", "tenant", "list"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid_token"));
}
