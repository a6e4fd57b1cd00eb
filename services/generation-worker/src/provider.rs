//! Providers behind one trait: `submit` returns the provider's request id
//! (the worker saves it before waiting, so a re-run after a crash resumes the
//! same request instead of paying for a second one), `poll`, `cancel`, and
//! `capabilities`. The provider of each job is chosen when the job is created
//! (generation-api's `providers` map; test mode is always `local`).

use futures_util::future::BoxFuture;
use serde_json::Value;
use uuid::Uuid;

/// What a provider is given.
#[derive(Debug, Clone)]
pub struct JobInput {
    pub id: Uuid,
    /// image | video | ad_video | face_swap | reference_analysis
    pub job_type: String,
    /// The validated request parameters.
    pub params: Value,
}

/// One output.
#[derive(Debug, Clone)]
pub enum Artifact {
    /// Bytes made by the provider itself.
    Bytes {
        data: Vec<u8>,
        ext: &'static str,
        width: Option<u32>,
        height: Option<u32>,
    },
    /// A URL on the provider's side, copied into our store at once.
    Url { url: String, ext: String },
}

#[derive(Debug, Clone)]
pub enum Poll {
    Running { progress: u8 },
    Succeeded(Vec<Artifact>),
    Failed { code: String, message: String },
    Canceled,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum ProviderError {
    /// Worth retrying later (network, 5xx, 429).
    #[error("transient provider error: {0}")]
    Transient(String),
    /// Retrying will not help.
    #[error("{code}: {message}")]
    Permanent { code: String, message: String },
    /// The provider does not know the request (e.g. the local provider after a
    /// restart): submit again.
    #[error("unknown provider request")]
    UnknownRequest,
}

#[derive(Debug, Clone)]
pub struct Capabilities {
    pub job_types: &'static [&'static str],
    /// Whether `cancel` stops the work on the provider's side.
    pub cancel: bool,
}

pub trait Provider: Send + Sync {
    fn name(&self) -> &'static str;
    fn capabilities(&self) -> Capabilities;
    fn submit<'a>(&'a self, job: &'a JobInput) -> BoxFuture<'a, Result<String, ProviderError>>;
    fn poll<'a>(&'a self, request_id: &'a str) -> BoxFuture<'a, Result<Poll, ProviderError>>;
    fn cancel<'a>(&'a self, request_id: &'a str) -> BoxFuture<'a, Result<(), ProviderError>>;
}
