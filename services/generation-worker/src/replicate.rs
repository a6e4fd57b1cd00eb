//! A provider adapter for Replicate's predictions API
//! (`POST /v1/predictions` with a model version and input, `GET
//! /v1/predictions/{id}`, `POST /v1/predictions/{id}/cancel`; statuses
//! `starting|processing|succeeded|failed|canceled`; `output` a URL or a list
//! of URLs). Which model version serves which job type is configuration.

use crate::provider::{Artifact, Capabilities, JobInput, Poll, Provider, ProviderError};
use futures_util::{FutureExt, future::BoxFuture};
use serde::Deserialize;
use serde_json::{Value, json};
use service_kit::config::Secret;
use std::{collections::BTreeMap, time::Duration};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplicateConfig {
    pub base_url: String,
    pub api_token: Secret,
    /// Model version per job type (`image = "<version id>"`); empty = the adapter is off.
    pub versions: BTreeMap<String, String>,
    pub timeout_ms: u64,
}

impl Default for ReplicateConfig {
    fn default() -> Self {
        Self {
            base_url: "https://api.replicate.com".into(),
            api_token: Secret::default(),
            versions: BTreeMap::new(),
            timeout_ms: 10_000,
        }
    }
}

pub struct ReplicateProvider {
    config: ReplicateConfig,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Prediction {
    id: String,
    status: String,
    #[serde(default)]
    output: Value,
    #[serde(default)]
    error: Value,
    #[serde(default)]
    logs: Option<String>,
}

impl ReplicateProvider {
    pub fn new(config: ReplicateConfig) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.timeout_ms))
            .build()
            .unwrap_or_default();
        Self { config, client }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> Result<Prediction, ProviderError> {
        let res = req
            .bearer_auth(self.config.api_token.expose())
            .send()
            .await
            .map_err(|e| ProviderError::Transient(e.to_string()))?;
        let status = res.status();
        if status.as_u16() == 404 {
            return Err(ProviderError::UnknownRequest);
        }
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(ProviderError::Transient(format!(
                "replicate answered {status}"
            )));
        }
        if !status.is_success() {
            let detail = res.text().await.unwrap_or_default();
            return Err(ProviderError::Permanent {
                code: "provider_rejected".into(),
                message: format!(
                    "replicate answered {status}: {}",
                    detail.chars().take(300).collect::<String>()
                ),
            });
        }
        res.json()
            .await
            .map_err(|e| ProviderError::Transient(e.to_string()))
    }

    /// The model input of a job.
    fn input(job: &JobInput) -> Value {
        let p = &job.params;
        match job.job_type.as_str() {
            "image" => json!({
                "prompt": p["prompt"], "aspect_ratio": p["aspect_ratio"], "num_outputs": p["image_count"],
                "seed": p["seed"], "negative_prompt": p["negative_prompt"], "output_format": p["output_format"],
            }),
            _ => p.clone(),
        }
    }

    fn ext_of(url: &str, job_type: &str) -> String {
        let path = url.split(['?', '#']).next().unwrap_or_default();
        match path.rsplit_once('.') {
            Some((_, ext))
                if (1..=5).contains(&ext.len())
                    && ext.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                ext.to_ascii_lowercase()
            }
            _ if job_type.contains("video") => "mp4".into(),
            _ => "png".into(),
        }
    }
}

impl Provider for ReplicateProvider {
    fn name(&self) -> &'static str {
        "replicate"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            job_types: &["image", "video", "ad_video", "face_swap"],
            cancel: true,
        }
    }

    fn submit<'a>(&'a self, job: &'a JobInput) -> BoxFuture<'a, Result<String, ProviderError>> {
        async move {
            let version = self.config.versions.get(&job.job_type).ok_or_else(|| {
                ProviderError::Permanent {
                    code: "provider_unsupported".into(),
                    message: format!("no Replicate model is configured for {} jobs", job.job_type),
                }
            })?;
            let body = json!({ "version": version, "input": Self::input(job) });
            let p = self
                .call(self.client.post(self.url("/v1/predictions")).json(&body))
                .await?;
            Ok(p.id)
        }
        .boxed()
    }

    fn poll<'a>(&'a self, request_id: &'a str) -> BoxFuture<'a, Result<Poll, ProviderError>> {
        async move {
            let p = self
                .call(
                    self.client
                        .get(self.url(&format!("/v1/predictions/{request_id}"))),
                )
                .await?;
            Ok(match p.status.as_str() {
                "starting" => Poll::Running { progress: 0 },
                "processing" => Poll::Running {
                    progress: p.logs.as_deref().map_or(10, |_| 50),
                },
                "succeeded" => {
                    let urls: Vec<String> = match &p.output {
                        Value::String(s) => vec![s.clone()],
                        Value::Array(items) => items
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect(),
                        _ => Vec::new(),
                    };
                    if urls.is_empty() {
                        Poll::Failed {
                            code: "provider_no_output".into(),
                            message: "the prediction succeeded without an output".into(),
                        }
                    } else {
                        Poll::Succeeded(
                            urls.into_iter()
                                .map(|url| {
                                    let ext = Self::ext_of(&url, "image");
                                    Artifact::Url { url, ext }
                                })
                                .collect(),
                        )
                    }
                }
                "canceled" => Poll::Canceled,
                _ => Poll::Failed {
                    code: "provider_failed".into(),
                    message: p
                        .error
                        .as_str()
                        .unwrap_or("the prediction failed")
                        .chars()
                        .take(500)
                        .collect(),
                },
            })
        }
        .boxed()
    }

    fn cancel<'a>(&'a self, request_id: &'a str) -> BoxFuture<'a, Result<(), ProviderError>> {
        async move {
            self.call(
                self.client
                    .post(self.url(&format!("/v1/predictions/{request_id}/cancel"))),
            )
            .await
            .map(|_| ())
        }
        .boxed()
    }
}
