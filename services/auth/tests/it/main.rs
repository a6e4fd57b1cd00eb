//! Integration tests of the auth service over real PostgreSQL and Redis: each
//! test gets a fresh database and its own revocation channel, and talks to the
//! service over real HTTP and gRPC.

#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test helpers outside #[test] functions panic on a failed setup step"
)]

mod authctl;
mod authenticate;
mod jwks;
mod kit;
mod operator_api;
mod process;
mod revocation;

use auth_service::{AppState, Application, Config};
use rpc::auth::{AuthenticateRequest, AuthenticateResponse, auth_client::AuthClient};
use serde_json::{Value, json};
use service_kit::config::{DatabaseConfig, RedisConfig, SecretUrl};
use std::sync::{Arc, atomic::Ordering};

pub const TOKEN: &str = "it-operator-token";

pub struct TestApp {
    pub base: String,
    pub grpc_url: String,
    pub state: Arc<AppState>,
    pub channel: String,
    pub http: reqwest::Client,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let channel = testkit::unique("auth:revocations:it:");
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            grpc_listen: "127.0.0.1:0".into(),
            database: DatabaseConfig {
                url: SecretUrl::new(testkit::fresh_db("auth", auth_service::MIGRATIONS).await),
                pool_size: 8,
                run_migrations: false,
                ..Default::default()
            },
            redis: RedisConfig {
                url: SecretUrl::new(testkit::redis_url()),
                cluster: false,
            },
            operator_token: service_kit::config::Secret::new(TOKEN),
            revocation_channel: channel.clone(),
            last_used_flush_seconds: 1,
            workers: 1,
            ..Config::default()
        };
        tweak(&mut config);
        let app = Application::build(config).await.expect("build app");
        let base = format!("http://127.0.0.1:{}", app.http_port());
        let grpc_url = format!("http://127.0.0.1:{}", app.grpc_port());
        let state = app.state();
        tokio::spawn(app.run_until_stopped());
        Self {
            base,
            grpc_url,
            state,
            channel,
            http: testkit::http(),
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let res = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn tenant(&self, product: &str) -> Value {
        let (status, body) = self
            .post(
                "/v1/tenants",
                json!({ "product": product, "name": "Test tenant" }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body
    }

    pub async fn user(&self, tenant_id: &str) -> Value {
        let email = format!("{}@example.com", testkit::unique("u"));
        let (status, body) = self
            .post(
                &format!("/v1/tenants/{tenant_id}/users"),
                json!({ "email": email }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        body
    }

    pub async fn mint(&self, body: Value) -> Value {
        let (status, body) = self.post("/v1/keys", body).await;
        assert_eq!(status, 201, "{body}");
        body
    }

    /// A tenant of `product` and a key for it with the product's first scope.
    pub async fn tenant_and_key(&self, product: &str) -> (Value, Value) {
        let tenant = self.tenant(product).await;
        let tid = tenant["id"].as_str().unwrap().to_owned();
        let mut body = json!({ "tenant_id": tid, "name": "k", "scopes": [first_scope(product)] });
        if product == "generation" {
            body["user_id"] = self.user(&tid).await["id"].clone();
        }
        let key = self.mint(body).await;
        (tenant, key)
    }

    pub async fn grpc(&self) -> AuthClient<tonic::transport::Channel> {
        AuthClient::connect(self.grpc_url.clone())
            .await
            .expect("grpc connect")
    }

    pub async fn authenticate(
        &self,
        token: &str,
        product: rpc::auth::Product,
    ) -> AuthenticateResponse {
        self.authenticate_for(token, product, audience_of(product))
            .await
    }

    pub async fn authenticate_for(
        &self,
        token: &str,
        product: rpc::auth::Product,
        audience: &str,
    ) -> AuthenticateResponse {
        self.grpc()
            .await
            .authenticate(AuthenticateRequest {
                token: token.to_owned(),
                product: product as i32,
                audience: audience.to_owned(),
            })
            .await
            .expect("authenticate rpc")
            .into_inner()
    }

    pub fn db_lookups(&self) -> u64 {
        self.state.stats.db_lookups.load(Ordering::SeqCst)
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/.well-known/jwks.json", self.base)
    }
}

pub fn first_scope(product: &str) -> &'static str {
    match product {
        "admin" => "customers:read",
        "partner" => "read",
        _ => "generate",
    }
}

pub fn audience_of(product: rpc::auth::Product) -> &'static str {
    match product {
        rpc::auth::Product::Partner => "partner-api",
        rpc::auth::Product::Generation => "generation-api",
        _ => "admin-api",
    }
}

pub fn error_of(res: &AuthenticateResponse) -> rpc::auth::AuthError {
    rpc::auth::AuthError::try_from(res.error).expect("known error value")
}
