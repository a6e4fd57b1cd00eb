//! What auth knows about the caller (user email, key metadata, workspace
//! name), read from auth's operator HTTP API for `GET /me`. The generation
//! database keeps only what generation owns (plan, credits).

use error_envelope::{ApiError, codes};
use serde_json::Value;
use service_kit::config::Secret;
use std::time::Duration;

#[derive(Clone)]
pub struct Directory {
    client: reqwest::Client,
    base: String,
    token: Secret,
}

impl Directory {
    pub fn new(base: &str, token: Secret) -> Self {
        Self {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            base: base.trim_end_matches('/').to_owned(),
            token,
        }
    }

    async fn get(&self, path: &str) -> Result<Value, ApiError> {
        let unavailable = |e: String| {
            ApiError::service_unavailable(
                codes::UPSTREAM_UNAVAILABLE,
                "account details are temporarily unavailable; retry shortly",
            )
            .with_log_detail(e)
        };
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(self.token.expose())
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        if !res.status().is_success() {
            return Err(unavailable(format!(
                "auth answered {} for {path}",
                res.status()
            )));
        }
        res.json().await.map_err(|e| unavailable(e.to_string()))
    }

    /// The key's metadata (never its hash or plaintext: auth does not return them).
    pub async fn key(&self, key_id: &str) -> Result<Value, ApiError> {
        self.get(&format!("/v1/keys/{key_id}")).await
    }

    pub async fn workspace(&self, tenant_id: uuid::Uuid) -> Result<Value, ApiError> {
        self.get(&format!("/v1/tenants/{tenant_id}")).await
    }

    /// The user `user_id` of the workspace (`None` when auth does not list it).
    pub async fn user(
        &self,
        tenant_id: uuid::Uuid,
        user_id: &str,
    ) -> Result<Option<Value>, ApiError> {
        let mut cursor: Option<String> = None;
        for _ in 0..20 {
            let path = match &cursor {
                None => format!("/v1/tenants/{tenant_id}/users?limit=100"),
                Some(c) => format!("/v1/tenants/{tenant_id}/users?limit=100&cursor={c}"),
            };
            let page = self.get(&path).await?;
            if let Some(u) = page["data"]
                .as_array()
                .and_then(|users| users.iter().find(|u| u["id"] == user_id))
            {
                return Ok(Some(u.clone()));
            }
            match page["pagination"]["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        Ok(None)
    }
}
