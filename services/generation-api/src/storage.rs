//! Object storage of job outputs and their short-lived signed URLs.
//!
//! Outputs are written under `results/<job uuid>/<n>.<ext>` in an
//! `object_store` store (the local filesystem by default). A job row keeps only
//! object keys; `/jobs/{id}/result` signs a URL per output on every call
//! (`<public_base_url>/api/v1/files/<key>?expires=<unix>&signature=<hex>`,
//! HMAC-SHA256 over key and expiry), and generation-api serves that path for
//! the local store. A signed URL is never stored.

use hmac::{Hmac, KeyInit, Mac};
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, path::Path};
use serde::Deserialize;
use service_kit::config::Secret;
use sha2::Sha256;
use std::sync::Arc;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Root directory of the local store.
    pub root: String,
    /// HMAC secret of signed URLs (the API signs, the API verifies).
    pub signing_secret: Secret,
    /// Lifetime of a signed URL.
    pub url_ttl_seconds: u64,
    /// How long outputs are kept after a job succeeds (`result_expires_at`).
    pub retention_hours: i64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            root: ".local/objects".into(),
            signing_secret: Secret::new("dev-only-generation-url-secret"),
            url_ttl_seconds: 600,
            retention_hours: 24 * 7,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object store: {0}")]
    Store(#[from] object_store::Error),
    #[error("storage root: {0}")]
    Root(#[from] std::io::Error),
    #[error("bad object key {0:?}")]
    BadKey(String),
}

/// The store plus the URL signer.
#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    secret: Vec<u8>,
    ttl_secs: u64,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage")
            .field("store", &self.store.to_string())
            .finish()
    }
}

/// The object key of output `n` of `job`.
pub fn output_key(job: uuid::Uuid, n: usize, ext: &str) -> String {
    format!("results/{}/{n}.{ext}", job.simple())
}

/// Keys are ours: `results/<32 hex>/<n>.<ext>`; anything else is refused before touching the store.
fn checked_key(key: &str) -> Result<Path, StorageError> {
    let ok = key.split('/').count() == 3
        && key.starts_with("results/")
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'/' || b == b'.' || b == b'_')
        && !key.contains("..");
    if ok {
        Ok(Path::from(key))
    } else {
        Err(StorageError::BadKey(key.to_owned()))
    }
}

impl Storage {
    pub fn local(config: &StorageConfig) -> Result<Self, StorageError> {
        std::fs::create_dir_all(&config.root)?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(&config.root)?;
        Ok(Self {
            store: Arc::new(store),
            secret: config.signing_secret.expose().as_bytes().to_vec(),
            ttl_secs: config.url_ttl_seconds,
        })
    }

    pub async fn put(&self, key: &str, bytes: Vec<u8>) -> Result<(), StorageError> {
        self.store
            .put(&checked_key(key)?, PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// The bytes of `key`; `Ok(None)` when absent.
    pub async fn get(&self, key: &str) -> Result<Option<bytes::Bytes>, StorageError> {
        match self.store.get(&checked_key(key)?).await {
            Ok(r) => Ok(Some(r.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn signature(&self, key: &str, expires: i64) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(key.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A URL for `key` valid [`StorageConfig::url_ttl_seconds`] from `now` (unix seconds).
    pub fn signed_url(&self, base: &str, key: &str, now: i64) -> (String, i64) {
        let expires = now + i64::try_from(self.ttl_secs).unwrap_or(600);
        let sig = self.signature(key, expires);
        (
            format!(
                "{}/api/v1/files/{key}?expires={expires}&signature={sig}",
                base.trim_end_matches('/')
            ),
            expires,
        )
    }

    /// Whether `signature` is valid for `key` and not expired at `now`.
    pub fn verify(&self, key: &str, expires: i64, signature: &str, now: i64) -> bool {
        if expires < now {
            return false;
        }
        let expected = self.signature(key, expires);
        bool::from(subtle::ConstantTimeEq::ct_eq(
            expected.as_bytes(),
            signature.as_bytes(),
        ))
    }
}

/// The content type of an output by extension.
pub fn content_type(key: &str) -> &'static str {
    match key.rsplit('.').next() {
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("mp4") => "video/mp4",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_bind_key_and_expiry() {
        let dir = std::env::temp_dir().join(format!("gen-store-{}", uuid::Uuid::new_v4()));
        let s = Storage::local(&StorageConfig {
            root: dir.to_string_lossy().into_owned(),
            ..StorageConfig::default()
        })
        .unwrap();
        let key = output_key(uuid::Uuid::now_v7(), 0, "png");
        let (url, expires) = s.signed_url("http://gen.localhost:8080/", &key, 1000);
        assert!(url.starts_with("http://gen.localhost:8080/api/v1/files/results/"));
        let sig = url.rsplit("signature=").next().unwrap();
        assert!(s.verify(&key, expires, sig, 1000));
        assert!(!s.verify(&key, expires, sig, expires + 1));
        assert!(!s.verify(&key, expires + 1, sig, 1000));
        assert!(!s.verify(
            &output_key(uuid::Uuid::now_v7(), 0, "png"),
            expires,
            sig,
            1000
        ));
        assert!(checked_key("results/../../etc/passwd").is_err());
        assert!(checked_key("other/x/0.png").is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
