//! The signing keys of internal JWTs: bootstrap, rotation, periodic reload and
//! the sealing of their PKCS#8 at rest.
//!
//! The newest non-retired key in `signing_keys` signs. Rotation (under a
//! transaction-scoped advisory lock, so replicas never race) retires every
//! current key with `publish_until = now + rollover` and inserts a new one;
//! retired keys stay in the JWKS until then so tokens they signed keep
//! verifying. Other replicas pick the new key up on their next reload.
//!
//! Secrets: the PKCS#8 DER is sealed with AES-256-GCM (random 96-bit nonce,
//! the `kid` as associated data) under `signing_key_encryption_key` when that is
//! configured; otherwise it is stored as is and a warning is logged.

use crate::models::signing_key::{self, SigningKeyRow};
use auth_core::jwt::{Jwk, Jwks, SigningKey};
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use std::sync::{Arc, RwLock};
use time::OffsetDateTime;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error("database: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("key: {0}")]
    Key(String),
}

/// Key-encryption key for the PKCS#8 at rest.
pub struct Kek(LessSafeKey);

impl Kek {
    /// From the base64 of 32 bytes; `None` for an empty string.
    pub fn from_config(b64: &str) -> Result<Option<Self>, SigningError> {
        if b64.trim().is_empty() {
            return Ok(None);
        }
        let raw = B64
            .decode(b64.trim())
            .map_err(|e| SigningError::Key(format!("signing_key_encryption_key: {e}")))?;
        let key = UnboundKey::new(&AES_256_GCM, &raw).map_err(|_| {
            SigningError::Key("signing_key_encryption_key must be 32 bytes (base64)".into())
        })?;
        Ok(Some(Self(LessSafeKey::new(key))))
    }

    fn seal(&self, kid: &str, plain: &[u8]) -> Result<Vec<u8>, SigningError> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|e| SigningError::Key(e.to_string()))?;
        let mut in_out = plain.to_vec();
        self.0
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(kid.as_bytes()),
                &mut in_out,
            )
            .map_err(|e| SigningError::Key(e.to_string()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&in_out);
        Ok(out)
    }

    fn open(&self, kid: &str, sealed: &[u8]) -> Result<Vec<u8>, SigningError> {
        if sealed.len() < NONCE_LEN {
            return Err(SigningError::Key("sealed key too short".into()));
        }
        let (nonce, rest) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce)
            .map_err(|e| SigningError::Key(e.to_string()))?;
        let mut in_out = rest.to_vec();
        let plain = self
            .0
            .open_in_place(nonce, Aad::from(kid.as_bytes()), &mut in_out)
            .map_err(|_| {
                SigningError::Key(format!(
                    "cannot unseal signing key {kid}: wrong key-encryption key?"
                ))
            })?;
        Ok(plain.to_vec())
    }
}

/// The active signing key of this replica.
pub struct Signer {
    active: RwLock<Arc<SigningKey>>,
    kek: Option<Kek>,
    rollover: time::Duration,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.active().kid())
            .finish_non_exhaustive()
    }
}

fn new_kid() -> String {
    let now = OffsetDateTime::now_utc();
    format!(
        "sk_{:04}{:02}{:02}_{}",
        now.year(),
        u8::from(now.month()),
        now.day(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

impl Signer {
    /// Loads the active key, creating the first one when the table is empty.
    pub async fn bootstrap(
        conn: &mut AsyncPgConnection,
        kek: Option<Kek>,
        rollover: std::time::Duration,
    ) -> Result<Self, SigningError> {
        if kek.is_none() {
            tracing::warn!(
                "signing_key_encryption_key is not set: signing keys are stored unsealed (development only)"
            );
        }
        let rollover = time::Duration::try_from(rollover)
            .map_err(|e| SigningError::Key(format!("rollover: {e}")))?;
        let row = match signing_key::active(conn).await? {
            Some(row) => row,
            None => {
                let kek = kek.as_ref();
                conn.transaction::<_, SigningError, _>(async move |conn| {
                    signing_key::lock(conn).await?;
                    if let Some(row) = signing_key::active(conn).await? {
                        return Ok(row);
                    }
                    let row = new_row(kek)?;
                    signing_key::insert(conn, &row).await?;
                    Ok(row)
                })
                .await?
            }
        };
        let key = unseal(kek.as_ref(), &row)?;
        Ok(Self {
            active: RwLock::new(Arc::new(key)),
            kek,
            rollover,
        })
    }

    pub fn active(&self) -> Arc<SigningKey> {
        match self.active.read() {
            Ok(k) => Arc::clone(&k),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn set_active(&self, key: SigningKey) {
        match self.active.write() {
            Ok(mut k) => *k = Arc::new(key),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(key),
        }
    }

    /// Picks up a rotation made by another replica.
    pub async fn reload(&self, conn: &mut AsyncPgConnection) -> Result<(), SigningError> {
        if let Some(row) = signing_key::active(conn).await?
            && row.kid != self.active().kid()
        {
            let key = unseal(self.kek.as_ref(), &row)?;
            tracing::info!(kid = %row.kid, "signing key changed");
            self.set_active(key);
        }
        Ok(())
    }

    /// Makes a new key active; the previous ones stay published for the rollover period.
    /// Returns (new kid, retired kids' publish_until).
    pub async fn rotate(
        &self,
        conn: &mut AsyncPgConnection,
    ) -> Result<(String, OffsetDateTime), SigningError> {
        let kek = self.kek.as_ref();
        let rollover = self.rollover;
        let row = conn
            .transaction::<_, SigningError, _>(async move |conn| {
                signing_key::lock(conn).await?;
                let now = OffsetDateTime::now_utc();
                signing_key::retire_all(conn, now, now + rollover).await?;
                let row = new_row(kek)?;
                signing_key::insert(conn, &row).await?;
                Ok(row)
            })
            .await?;
        let key = unseal(kek, &row)?;
        self.set_active(key);
        Ok((row.kid, row.created_at + rollover))
    }
}

fn new_row(kek: Option<&Kek>) -> Result<SigningKeyRow, SigningError> {
    let kid = new_kid();
    let key = SigningKey::generate(kid.clone()).map_err(|e| SigningError::Key(e.to_string()))?;
    let (secret, encryption) = match kek {
        Some(k) => (k.seal(&kid, key.pkcs8())?, "aes-256-gcm"),
        None => (key.pkcs8().to_vec(), "none"),
    };
    Ok(SigningKeyRow {
        kid,
        secret,
        encryption: encryption.into(),
        public_x: key.jwk().x,
        created_at: OffsetDateTime::now_utc(),
        retired_at: None,
        publish_until: None,
    })
}

fn unseal(kek: Option<&Kek>, row: &SigningKeyRow) -> Result<SigningKey, SigningError> {
    let der = match (row.encryption.as_str(), kek) {
        ("none", _) => row.secret.clone(),
        ("aes-256-gcm", Some(k)) => k.open(&row.kid, &row.secret)?,
        (other, _) => {
            return Err(SigningError::Key(format!(
                "signing key {} is sealed ({other}) but no key-encryption key is configured",
                row.kid
            )));
        }
    };
    SigningKey::from_pkcs8(row.kid.clone(), &der).map_err(|e| SigningError::Key(e.to_string()))
}

/// The JWKS document from the published rows.
pub fn jwks(published: Vec<(String, String)>) -> Jwks {
    Jwks {
        keys: published
            .into_iter()
            .map(|(kid, x)| Jwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                alg: "EdDSA".into(),
                key_use: "sig".into(),
                kid,
                x,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_with_their_kek_and_kid() {
        let kek = Kek::from_config(&B64.encode([7u8; 32])).unwrap().unwrap();
        let row = new_row(Some(&kek)).unwrap();
        assert_eq!(row.encryption, "aes-256-gcm");
        let key = unseal(Some(&kek), &row).unwrap();
        assert_eq!(key.jwk().x, row.public_x);
        let other = Kek::from_config(&B64.encode([8u8; 32])).unwrap().unwrap();
        assert!(unseal(Some(&other), &row).is_err());
        assert!(unseal(None, &row).is_err());
        let mut moved = row.clone();
        moved.kid = "sk_other".into();
        assert!(unseal(Some(&kek), &moved).is_err());
        assert!(Kek::from_config("c2hvcnQ=").is_err());
        assert!(Kek::from_config("").unwrap().is_none());
    }
}
