//! Test harness: the API, workers, workspaces and keys, calls.

use auth_core::{Principal, Product, scopes};
use generation_api::{Application, Config, MIGRATIONS};
use reqwest::{Method, header::HeaderMap};
use serde_json::Value;
use service_kit::config::{DatabaseConfig, SecretUrl};
use std::{path::PathBuf, time::Duration};
use testkit::TestSigner;
use tokio::sync::watch;
use uuid::Uuid;

pub struct TestApp {
    pub base: String,
    pub db_url: String,
    pub storage_root: PathBuf,
    pub signer: TestSigner,
    client: reqwest::Client,
    workers: Vec<watch::Sender<bool>>,
}

/// A key of a workspace.
#[derive(Clone)]
pub struct Key {
    pub principal: Principal,
    pub bearer: String,
}

impl Key {
    pub fn workspace(&self) -> Uuid {
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
        assert!(
            self.body["request_id"]
                .as_str()
                .is_some_and(|r| r.starts_with("req_")),
            "{}",
            self.text
        );
        self
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let db_url = testkit::fresh_db("generation", MIGRATIONS).await;
        let storage_root = std::env::temp_dir().join(testkit::unique("gen-objects-"));
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            database: DatabaseConfig {
                url: SecretUrl::new(db_url.clone()),
                pool_size: 8,
                run_migrations: false,
                ..DatabaseConfig::default()
            },
            workers: 2,
            idempotency_purge_interval_seconds: 0,
            // Nothing listens on port 1: /me answers 503 here (auth is tested through the platform).
            auth_url: "http://127.0.0.1:1".into(),
            ..Config::default()
        };
        config.storage.root = storage_root.to_string_lossy().into_owned();
        tweak(&mut config);
        let signer = TestSigner::new();
        let app = Application::build_with(config, signer.verifier("generation-api"))
            .await
            .expect("build");
        let base = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        Self {
            base,
            db_url,
            storage_root,
            signer,
            client: testkit::http(),
            workers: Vec::new(),
        }
    }

    /// The worker configuration matching this API (database, store).
    pub fn worker_config(&self) -> generation_worker::Config {
        let mut c = generation_worker::Config {
            listen: String::new(),
            database: DatabaseConfig {
                url: SecretUrl::new(self.db_url.clone()),
                pool_size: 4,
                run_migrations: false,
                ..DatabaseConfig::default()
            },
            poll_interval_ms: 200,
            heartbeat_interval_ms: 300,
            lease_seconds: 2,
            reaper_interval_ms: 300,
            provider_poll_interval_ms: 20,
            webhook_allow_private: true,
            ..generation_worker::Config::default()
        };
        c.storage.root = self.storage_root.to_string_lossy().into_owned();
        c
    }

    /// Starts an in-process worker (stopped when the app is dropped).
    pub fn start_worker(&mut self) {
        self.start_worker_with(|_| {});
    }

    pub fn start_worker_with(&mut self, tweak: impl FnOnce(&mut generation_worker::Config)) {
        let mut config = self.worker_config();
        tweak(&mut config);
        let ctx = generation_worker::context(config).expect("worker context");
        let (tx, rx) = watch::channel(false);
        tokio::spawn(generation_worker::run(ctx, rx));
        self.workers.push(tx);
    }

    /// A new workspace's key (`live` or `test`) with read + generate.
    pub fn key(&self, env: &str) -> Key {
        let mut principal = self
            .signer
            .principal(Product::Generation, scopes::GENERATION);
        principal.env = env.into();
        let bearer = self.signer.bearer(&principal, "generation-api");
        Key { principal, bearer }
    }

    /// Another key of the same workspace.
    pub fn key_of(&self, key: &Key, env: &str, scopes: &[&str]) -> Key {
        let mut principal = key.principal.clone();
        principal.env = env.into();
        principal.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        principal.key_id = testkit::unique("key_");
        let bearer = self.signer.bearer(&principal, "generation-api");
        Key { principal, bearer }
    }

    pub async fn conn(&self) -> diesel_async::AsyncPgConnection {
        generation_worker::runner::connect(&self.db_url)
            .await
            .expect("connect")
    }

    /// Sets the plan and grants `credits` live credits.
    pub async fn fund(&self, key: &Key, plan: &str, credits: i64) {
        let mut c = self.conn().await;
        generation_api::credits::set_plan(&mut c, key.workspace(), plan, Some("Test Workspace"))
            .await
            .unwrap();
        if credits > 0 {
            generation_api::credits::grant(&mut c, key.workspace(), credits, "test")
                .await
                .unwrap();
        }
    }

    pub async fn request(
        &self,
        method: Method,
        key: Option<&Key>,
        path: &str,
        body: Option<&Value>,
        idem: Option<&str>,
    ) -> Resp {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        let mut req = self.client.request(method, url);
        if let Some(k) = key {
            req = req.header("authorization", &k.bearer);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        if let Some(k) = idem {
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

    pub async fn get(&self, key: &Key, path: &str) -> Resp {
        self.request(Method::GET, Some(key), path, None, None).await
    }

    pub async fn post(&self, key: &Key, path: &str, body: &Value) -> Resp {
        self.request(Method::POST, Some(key), path, Some(body), None)
            .await
    }

    pub async fn post_keyed(&self, key: &Key, path: &str, body: &Value, idem: &str) -> Resp {
        self.request(Method::POST, Some(key), path, Some(body), Some(idem))
            .await
    }

    pub async fn bytes(&self, url: &str) -> (u16, Vec<u8>) {
        let res = self.client.get(url).send().await.expect("download");
        (
            res.status().as_u16(),
            res.bytes().await.expect("bytes").to_vec(),
        )
    }

    /// Polls `GET /jobs/{id}` until the job is final (at most `secs`).
    pub async fn wait_final(&self, key: &Key, job_id: &str, secs: u64) -> Value {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let r = self.get(key, &format!("/api/v1/jobs/{job_id}")).await;
            r.assert(200);
            if ["succeeded", "failed", "canceled"]
                .contains(&r.body["status"].as_str().unwrap_or(""))
            {
                return r.body;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "job {job_id} not final in {secs}s: {}",
                r.text
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for w in &self.workers {
            let _ = w.send(true);
        }
        let _ = std::fs::remove_dir_all(&self.storage_root);
    }
}
