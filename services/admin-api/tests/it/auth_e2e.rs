//! With the real auth service (when its binary is built): a key minted by auth,
//! exchanged for an internal JWT over gRPC `Authenticate`, verified by admin-api
//! against auth's JWKS over HTTP — the production path minus the gateway.

use crate::helpers::TestApp;
use rpc::auth::{AuthenticateRequest, Product, auth_client::AuthClient};
use serde_json::json;
use testkit::{
    operator::{DEV_OPERATOR_TOKEN, Operator},
    process::{ServiceProcess, free_port},
};

fn auth_binary_built() -> bool {
    std::env::var_os("PLATFORM_BIN_DIR").is_some()
        || std::env::current_exe()
            .ok()
            .and_then(|e| {
                e.parent()
                    .and_then(|d| d.parent())
                    .map(|d| d.join("auth-service"))
            })
            .is_some_and(|p| p.exists())
}

#[tokio::test]
async fn a_key_minted_by_auth_reads_its_shop_through_jwks() {
    if !auth_binary_built() {
        eprintln!("auth-service not built: skipping the JWKS end-to-end test");
        return;
    }
    let http = free_port();
    let grpc = free_port();
    let auth_db = db::with_database(&testkit::pg_url(), &testkit::unique("t_auth_e2e_")).unwrap();
    let _auth = ServiceProcess::spawn(
        "auth-service",
        &["serve"],
        &[
            ("AUTH__LISTEN", format!("127.0.0.1:{http}")),
            ("AUTH__GRPC_LISTEN", format!("127.0.0.1:{grpc}")),
            ("AUTH__DATABASE__URL", auth_db),
            ("AUTH__REDIS__URL", testkit::redis_url()),
            ("AUTH__REVOCATION_CHANNEL", testkit::unique("adm_e2e_")),
        ],
        &format!("http://127.0.0.1:{http}/healthz"),
    )
    .await;
    let operator = Operator::new(http, DEV_OPERATOR_TOKEN);
    let tenant = operator.tenant("admin", "E2E Shop", None).await;
    let tenant_id = tenant["id"].as_str().expect("tenant id").to_owned();
    let key = operator
        .key(&json!({ "tenant_id": tenant_id, "name": "e2e", "scopes": ["customers:read", "campaigns:write"] }))
        .await;
    let plaintext = key["key"].as_str().expect("key").to_owned();
    assert!(plaintext.starts_with("copt_"));

    let auth = AuthClient::connect(format!("http://127.0.0.1:{grpc}"))
        .await
        .unwrap();
    let jwt_for = |audience: &'static str| {
        let req = AuthenticateRequest {
            token: plaintext.clone(),
            product: Product::Admin as i32,
            audience: audience.into(),
        };
        let mut auth = auth.clone();
        async move {
            auth.authenticate(req)
                .await
                .unwrap()
                .into_inner()
                .internal_jwt
        }
    };
    let jwt = jwt_for("admin-api").await;
    assert!(!jwt.is_empty());
    let partner_jwt = jwt_for("partner-api").await;

    let app = TestApp::spawn_with_remote_jwks(|c| {
        c.jwks_url = format!("http://127.0.0.1:{http}/.well-known/jwks.json")
    })
    .await;
    let mut shop = app.shop();
    shop.principal.tenant_id = tenant_id.parse().unwrap();
    app.seed(&shop, 100).await;
    shop.bearer = format!("Bearer {jwt}");

    let r = app
        .get(
            &shop,
            "/api/v1/customers?filter[lifecycle_stage]=active&sort=-last_order_at&limit=10",
        )
        .await;
    r.assert(200);
    assert!(!r.data().is_empty());
    // The key lacks orders:read.
    let r = app.get(&shop, "/api/v1/orders").await;
    r.assert_error(403, "insufficient_scope");
    assert_eq!(r.body["error"]["details"]["required_scope"], "orders:read");
    // A JWT minted for another upstream is refused.
    shop.bearer = format!("Bearer {partner_jwt}");
    app.get(&shop, "/api/v1/customers")
        .await
        .assert_error(401, "invalid_token");
}
