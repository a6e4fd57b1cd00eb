use auth_core::{Principal, Product};
use partner_api::{Application, Config};
use reqwest::StatusCode;
use serde_json::{Value, json};
use service_kit::config::{DatabaseConfig, SecretUrl};
use testkit::TestSigner;

pub struct TestApp {
    pub base: String,
    pub signer: TestSigner,
    pub principal: Principal,
    pub db_url: String,
    pub client: reqwest::Client,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Auth's gRPC is unreachable unless `tweak` points it somewhere.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let db_url = testkit::fresh_db("partner", partner_api::MIGRATIONS).await;
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            database: DatabaseConfig {
                url: SecretUrl::new(db_url.clone()),
                pool_size: 8,
                run_migrations: false,
                ..Default::default()
            },
            auth_grpc_url: "http://127.0.0.1:9".into(),
            ..Config::default()
        };
        tweak(&mut config);
        let signer = TestSigner::new();
        let app = Application::build_with_verifier(config, signer.verifier("partner-api"))
            .await
            .unwrap();
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let principal = signer.principal(Product::Partner, &["read"]);
        Self {
            base,
            signer,
            principal,
            db_url,
            client: testkit::http(),
        }
    }

    pub fn project_id(&self) -> String {
        self.principal.public_id.clone().unwrap()
    }

    pub async fn get_as(&self, principal: &Principal, path: &str) -> (StatusCode, Value) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header(
                "authorization",
                self.signer.bearer(principal, "partner-api"),
            )
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.get_as(&self.principal, path).await
    }

    /// GET expecting 200; returns the body.
    pub async fn ok(&self, path: &str) -> Value {
        let (s, b) = self.get(path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {b}");
        b
    }

    pub async fn ingest(&self, body: Value) -> (StatusCode, Value) {
        let res = self
            .client
            .post(format!("{}/sdk/ingest", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Makes the project known (a read call carries its public id) and ingests `batch` for it.
    pub async fn ingest_ok(&self, mut batch: Value) -> Value {
        self.ok("/api/partner/health").await;
        batch["projectId"] = json!(self.project_id());
        let (s, b) = self.ingest(batch).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b
    }

    pub async fn sql(&self) -> diesel_async::AsyncPgConnection {
        use diesel_async::AsyncConnection;
        diesel_async::AsyncPgConnection::establish(&self.db_url)
            .await
            .unwrap()
    }
}

/// Names of a list in order.
pub fn names(body: &Value, list: &str, field: &str) -> Vec<String> {
    body[list]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e[field].as_str().unwrap_or("<null>").to_owned())
        .collect()
}

pub fn ago(minutes: i64) -> String {
    partner_api::views::fmt_ts(time::OffsetDateTime::now_utc() - time::Duration::minutes(minutes))
}
