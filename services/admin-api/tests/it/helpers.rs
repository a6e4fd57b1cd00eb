//! Test harness: spawn the service, mint shops (tenants) and keys, seed data, call.

use admin_api::{Application, Config, MIGRATIONS, seed::SeedArgs};
use auth_core::{Principal, Product, scopes};
use reqwest::{Method, header::HeaderMap};
use serde_json::Value;
use service_kit::config::{DatabaseConfig, SecretUrl};
use testkit::TestSigner;
use uuid::Uuid;

pub struct TestApp {
    pub base: String,
    pub db_url: String,
    pub signer: TestSigner,
    client: reqwest::Client,
}

/// A shop and a key of it.
#[derive(Clone)]
pub struct Shop {
    pub principal: Principal,
    pub bearer: String,
}

impl Shop {
    pub fn tenant(&self) -> Uuid {
        self.principal.tenant_id
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
    pub fn data(&self) -> &Vec<Value> {
        self.body["data"]
            .as_array()
            .unwrap_or_else(|| panic!("no data array: {}", self.text))
    }
    pub fn ids(&self) -> Vec<String> {
        self.data()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect()
    }
    pub fn next_cursor(&self) -> Option<String> {
        self.body["pagination"]["next_cursor"]
            .as_str()
            .map(str::to_owned)
    }
    #[track_caller]
    pub fn assert(&self, status: u16) -> &Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.text
        );
        self
    }
    #[track_caller]
    pub fn assert_error(&self, status: u16, code: &str) -> &Self {
        self.assert(status);
        assert_eq!(self.code(), code, "{}", self.text);
        self
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_inner(tweak, false).await
    }

    /// The service verifying JWTs with the JWKS at `config.jwks_url` (as in production).
    pub async fn spawn_with_remote_jwks(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_inner(tweak, true).await
    }

    async fn spawn_inner(tweak: impl FnOnce(&mut Config), remote_jwks: bool) -> Self {
        let db_url = testkit::fresh_db("adminapi", MIGRATIONS).await;
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            database: DatabaseConfig {
                url: SecretUrl::new(db_url.clone()),
                pool_size: 6,
                run_migrations: false,
                ..Default::default()
            },
            workers: 2,
            idempotency_purge_interval_seconds: 0,
            // Nothing listens on port 1: usage answers 503 unless a test points this elsewhere.
            ratelimit_url: "http://127.0.0.1:1".into(),
            ratelimit_timeout_ms: 500,
            ..Config::default()
        };
        tweak(&mut config);
        let signer = TestSigner::new();
        let app = if remote_jwks {
            Application::build(config).await.expect("build")
        } else {
            Application::build_with(config, signer.verifier("admin-api"))
                .await
                .expect("build")
        };
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self {
            base,
            db_url,
            signer,
            client: testkit::http(),
        }
    }

    /// A new shop whose key holds `scopes`.
    pub fn shop_with(&self, scopes: &[&str]) -> Shop {
        let principal = self.signer.principal(Product::Admin, scopes);
        let bearer = self.signer.bearer(&principal, "admin-api");
        Shop { principal, bearer }
    }

    /// A new shop whose key holds every admin scope.
    pub fn shop(&self) -> Shop {
        self.shop_with(scopes::ADMIN)
    }

    /// Another key of the same shop with other scopes.
    pub fn key_of(&self, shop: &Shop, scopes: &[&str]) -> Shop {
        let mut principal = shop.principal.clone();
        principal.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        principal.key_id = testkit::unique("key_");
        let bearer = self.signer.bearer(&principal, "admin-api");
        Shop { principal, bearer }
    }

    pub async fn seed(&self, shop: &Shop, customers: i64) {
        let mut args = SeedArgs::new(shop.tenant(), customers);
        args.products = 30;
        args.keywords = 60;
        args.enrollments_per_journey = 150;
        admin_api::seed::run(&self.db_url, &args)
            .await
            .expect("seed");
    }

    pub async fn request(
        &self,
        method: Method,
        shop: Option<&Shop>,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Resp {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(s) = shop {
            req = req.header("authorization", &s.bearer);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(k) = key {
            req = req.header("idempotency-key", k);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            headers,
            text,
            body,
        }
    }

    pub async fn get(&self, shop: &Shop, path: &str) -> Resp {
        self.request(Method::GET, Some(shop), path, None, None)
            .await
    }

    pub async fn post(
        &self,
        shop: &Shop,
        path: &str,
        body: Option<&Value>,
        key: Option<&str>,
    ) -> Resp {
        self.request(Method::POST, Some(shop), path, body, key)
            .await
    }

    pub async fn patch(&self, shop: &Shop, path: &str, body: &Value, key: Option<&str>) -> Resp {
        self.request(Method::PATCH, Some(shop), path, Some(body), key)
            .await
    }

    /// The first id of a list (e.g. `/api/v1/customers?limit=1`).
    pub async fn first_id(&self, shop: &Shop, path: &str) -> String {
        let r = self.get(shop, path).await;
        r.assert(200);
        r.ids()
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("empty list at {path}"))
    }

    /// Every item of a list, walking all pages.
    pub async fn walk(&self, shop: &Shop, path: &str) -> Vec<Value> {
        let mut out = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(c) => format!("{path}{sep}cursor={c}"),
                None => path.to_owned(),
            };
            let r = self.get(shop, &url).await;
            r.assert(200);
            out.extend(r.data().iter().cloned());
            assert_eq!(
                r.body["pagination"]["has_next"].as_bool(),
                Some(r.next_cursor().is_some())
            );
            match r.next_cursor() {
                Some(c) => cursor = Some(c),
                None => break,
            }
            assert!(out.len() < 100_000, "runaway pagination");
        }
        out
    }

    /// A direct database connection (assertions on effects).
    pub async fn db(&self) -> diesel_async::AsyncPgConnection {
        use diesel_async::AsyncConnection;
        diesel_async::AsyncPgConnection::establish(&self.db_url)
            .await
            .expect("db")
    }

    /// `SELECT count(*) FROM <table> WHERE <condition>` (test-only SQL).
    pub async fn count(&self, sql_where: &str) -> i64 {
        use diesel_async::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.db().await;
        diesel::sql_query(format!("SELECT count(*) AS n FROM {sql_where}"))
            .get_result::<N>(&mut conn)
            .await
            .expect("count")
            .n
    }

    pub async fn exec(&self, sql: &str) {
        use diesel_async::RunQueryDsl;
        let mut conn = self.db().await;
        diesel::sql_query(sql)
            .execute(&mut conn)
            .await
            .expect("exec");
    }
}
