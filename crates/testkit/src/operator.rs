//! Provisioning through auth's operator HTTP API, as an operator would:
//! tenants, users and keys for the tests of services that sit behind auth.

use serde_json::{Value, json};

/// The operator token the test suites start auth with.
pub const DEV_OPERATOR_TOKEN: &str = "dev-operator-token";

/// A client of one auth instance's operator API (`/v1/...`).
pub struct Operator {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Operator {
    /// For the auth HTTP listener on `port`, with `token`.
    pub fn new(port: u16, token: &str) -> Self {
        Self {
            base: format!("http://127.0.0.1:{port}/v1"),
            token: token.to_owned(),
            http: crate::http(),
        }
    }

    /// POSTs `body` to `path` and returns the JSON answer; panics unless 2xx.
    pub async fn post(&self, path: &str, body: &Value) -> Value {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = res.status();
        let answer: Value = res.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "POST {path} → {status}: {answer}");
        answer
    }

    /// A tenant of `product` (`admin`, `partner`, `generation`); `tier` when given.
    pub async fn tenant(&self, product: &str, name: &str, tier: Option<&str>) -> Value {
        let mut body = json!({ "product": product, "name": name });
        if let Some(tier) = tier {
            body["tier"] = json!(tier);
        }
        self.post("/tenants", &body).await
    }

    /// A user of `tenant_id` with a unique address (generation keys belong to a user).
    pub async fn user(&self, tenant_id: &str) -> Value {
        let email = format!("{}@example.com", crate::unique("u"));
        self.post(
            &format!("/tenants/{tenant_id}/users"),
            &json!({ "email": email }),
        )
        .await
    }

    /// Mints a key (`body` as `POST /v1/keys` takes it); the answer holds the plaintext `key` once.
    pub async fn key(&self, body: &Value) -> Value {
        self.post("/keys", body).await
    }
}
