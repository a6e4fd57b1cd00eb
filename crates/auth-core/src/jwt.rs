//! Internal JWTs: auth signs one per authenticated request for exactly one
//! upstream (`aud`), with EdDSA (Ed25519) and a lifetime of minutes. Upstreams
//! verify against auth's JWKS and trust nothing else.
//!
//! Only `alg = EdDSA` is accepted (so `none` and HMAC confusion are refused),
//! `aud`, `iss` and `exp` are required, and an unknown `kid` triggers at most
//! one JWKS refetch per [`REFETCH_INTERVAL`] (1 s: a token signed with a just-rotated key is accepted within a second).

use crate::{Principal, Product};
use aws_lc_rs::signature::{Ed25519KeyPair, KeyPair};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::{
    collections::HashMap,
    sync::RwLock,
    time::{Duration, Instant},
};

/// `iss` of every internal JWT.
pub const ISSUER: &str = "platform-auth";
/// Minimum time between two JWKS fetches caused by unknown `kid`s.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(1);
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The claims of an internal JWT: a [`Principal`] plus the registered claims.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InternalClaims {
    pub iss: String,
    /// The key id (`key_…`).
    pub sub: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub tid: uuid::Uuid,
    pub prd: Product,
    pub scp: Vec<String>,
    pub tier: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<String>,
    pub env: String,
}

impl InternalClaims {
    pub fn new(principal: &Principal, audience: &str, now: i64, ttl: Duration) -> Self {
        Self {
            iss: ISSUER.to_owned(),
            sub: principal.key_id.clone(),
            aud: audience.to_owned(),
            iat: now,
            exp: now + ttl.as_secs() as i64,
            tid: principal.tenant_id,
            prd: principal.product,
            scp: principal.scopes.clone(),
            tier: principal.tier.clone(),
            uid: principal.user_id.clone(),
            pid: principal.public_id.clone(),
            env: principal.env.clone(),
        }
    }

    pub fn principal(&self) -> Principal {
        Principal {
            tenant_id: self.tid,
            product: self.prd,
            scopes: self.scp.clone(),
            tier: self.tier.clone(),
            key_id: self.sub.clone(),
            user_id: self.uid.clone(),
            public_id: self.pid.clone(),
            env: self.env.clone(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JwtError {
    #[error("invalid signing key: {0}")]
    Key(String),
    #[error("token refused: {0}")]
    Refused(String),
    #[error("JWKS unavailable: {0}")]
    Jwks(String),
}

/// One Ed25519 signing key with its `kid`.
pub struct SigningKey {
    kid: String,
    pkcs8: Vec<u8>,
    public: Vec<u8>,
    encoding: EncodingKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A fresh random key.
    pub fn generate(kid: impl Into<String>) -> Result<Self, JwtError> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let doc = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|e| JwtError::Key(e.to_string()))?;
        Self::from_pkcs8(kid, doc.as_ref())
    }

    /// A key from its PKCS#8 DER encoding (as stored by auth).
    pub fn from_pkcs8(kid: impl Into<String>, der: &[u8]) -> Result<Self, JwtError> {
        let pair = Ed25519KeyPair::from_pkcs8(der).map_err(|e| JwtError::Key(e.to_string()))?;
        Ok(Self {
            kid: kid.into(),
            pkcs8: der.to_vec(),
            public: pair.public_key().as_ref().to_vec(),
            encoding: EncodingKey::from_ed_der(der),
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The PKCS#8 DER, for storage. Treat as a secret.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    pub fn jwk(&self) -> Jwk {
        Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            alg: "EdDSA".into(),
            key_use: "sig".into(),
            kid: self.kid.clone(),
            x: B64.encode(&self.public),
        }
    }

    pub fn sign(&self, claims: &InternalClaims) -> Result<String, JwtError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| JwtError::Key(e.to_string()))
    }
}

/// A public key as published in the JWKS (RFC 8037 OKP).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub key_use: String,
    pub kid: String,
    pub x: String,
}

/// `/.well-known/jwks.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

fn decoding_keys(jwks: &Jwks) -> HashMap<String, DecodingKey> {
    jwks.keys
        .iter()
        .filter(|k| k.kty == "OKP" && k.crv == "Ed25519")
        .filter_map(|k| {
            DecodingKey::from_ed_components(&k.x)
                .ok()
                .map(|d| (k.kid.clone(), d))
        })
        .collect()
}

/// Verifies internal JWTs for one audience (the service's own name).
pub struct JwtVerifier {
    audience: String,
    keys: RwLock<HashMap<String, DecodingKey>>,
    jwks_url: Option<String>,
    /// Held across a JWKS fetch: concurrent requests naming an unknown `kid`
    /// (a cold start, a rotation) wait for the one fetch instead of being refused.
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    http: reqwest::Client,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("audience", &self.audience)
            .field("jwks_url", &self.jwks_url)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// A verifier with a fixed key set (tests, or keys provided by configuration).
    pub fn from_jwks(jwks: &Jwks, audience: impl Into<String>) -> Self {
        Self {
            audience: audience.into(),
            keys: RwLock::new(decoding_keys(jwks)),
            jwks_url: None,
            last_fetch: tokio::sync::Mutex::new(None),
            http: reqwest::Client::new(),
        }
    }

    /// A verifier that loads auth's JWKS from `url` on first use and again when
    /// a token names an unknown `kid` (signing-key rotation).
    pub fn remote(url: impl Into<String>, audience: impl Into<String>) -> Self {
        Self {
            audience: audience.into(),
            keys: RwLock::new(HashMap::new()),
            jwks_url: Some(url.into()),
            last_fetch: tokio::sync::Mutex::new(None),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(3))
                .build()
                .unwrap_or_default(),
        }
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Verifies signature, algorithm, issuer, audience and expiry, and returns the Principal.
    pub async fn verify(&self, token: &str) -> Result<Principal, JwtError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| JwtError::Refused(e.to_string()))?;
        if header.alg != Algorithm::EdDSA {
            return Err(JwtError::Refused("algorithm not allowed".into()));
        }
        let kid = header
            .kid
            .ok_or_else(|| JwtError::Refused("missing kid".into()))?;
        let key = match self.key(&kid) {
            Some(k) => k,
            None => {
                self.refetch().await?;
                self.key(&kid)
                    .ok_or_else(|| JwtError::Refused("unknown kid".into()))?
            }
        };
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_audience(&[&self.audience]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.leeway = 5;
        let data = jsonwebtoken::decode::<InternalClaims>(token, &key, &validation)
            .map_err(|e| JwtError::Refused(e.to_string()))?;
        Ok(data.claims.principal())
    }

    fn key(&self, kid: &str) -> Option<DecodingKey> {
        self.keys.read().ok()?.get(kid).cloned()
    }

    async fn refetch(&self) -> Result<(), JwtError> {
        let Some(url) = &self.jwks_url else {
            return Ok(());
        };
        let mut last = self.last_fetch.lock().await;
        if last.is_some_and(|t| t.elapsed() < REFETCH_INTERVAL) {
            // A fetch just finished (maybe while this caller waited for the lock).
            return Ok(());
        }
        *last = Some(Instant::now());
        let jwks: Jwks = self
            .http
            .get(url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| JwtError::Jwks(e.to_string()))?
            .json()
            .await
            .map_err(|e| JwtError::Jwks(e.to_string()))?;
        let keys = decoding_keys(&jwks);
        if let Ok(mut w) = self.keys.write() {
            *w = keys;
        }
        Ok(())
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> Principal {
        Principal {
            tenant_id: uuid::Uuid::now_v7(),
            product: Product::Admin,
            scopes: vec!["customers:read".into()],
            tier: "starter".into(),
            key_id: "key_1".into(),
            user_id: None,
            public_id: None,
            env: "live".into(),
        }
    }

    fn jwks_of(keys: &[&SigningKey]) -> Jwks {
        Jwks {
            keys: keys.iter().map(|k| k.jwk()).collect(),
        }
    }

    #[tokio::test]
    async fn a_signed_token_verifies_for_its_audience_only() {
        let key = SigningKey::generate("k1").unwrap();
        let p = principal();
        let token = key
            .sign(&InternalClaims::new(
                &p,
                "admin-api",
                now(),
                Duration::from_secs(300),
            ))
            .unwrap();
        let ok = JwtVerifier::from_jwks(&jwks_of(&[&key]), "admin-api");
        assert_eq!(ok.verify(&token).await.unwrap(), p);
        let other = JwtVerifier::from_jwks(&jwks_of(&[&key]), "partner-api");
        assert!(other.verify(&token).await.is_err());
    }

    #[tokio::test]
    async fn foreign_keys_expired_tokens_and_alg_none_are_refused() {
        let key = SigningKey::generate("k1").unwrap();
        let foreign = SigningKey::generate("k1").unwrap();
        let v = JwtVerifier::from_jwks(&jwks_of(&[&key]), "admin-api");
        let p = principal();
        let forged = foreign
            .sign(&InternalClaims::new(
                &p,
                "admin-api",
                now(),
                Duration::from_secs(300),
            ))
            .unwrap();
        assert!(v.verify(&forged).await.is_err());
        let expired = key
            .sign(&InternalClaims::new(
                &p,
                "admin-api",
                now() - 3600,
                Duration::from_secs(60),
            ))
            .unwrap();
        assert!(v.verify(&expired).await.is_err());
        let claims = serde_json::to_vec(&InternalClaims::new(
            &p,
            "admin-api",
            now(),
            Duration::from_secs(300),
        ))
        .unwrap();
        let none = format!(
            "{}.{}.",
            B64.encode(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#),
            B64.encode(claims)
        );
        assert!(v.verify(&none).await.is_err());
    }

    #[actix_web::test]
    async fn concurrent_first_requests_wait_for_one_jwks_fetch() {
        use actix_web::{App, HttpResponse, HttpServer, web};
        let key = SigningKey::generate("cold").unwrap();
        let jwks = jwks_of(&[&key]);
        let fetches = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = fetches.clone();
        let server = HttpServer::new(move || {
            let (jwks, counter) = (jwks.clone(), counter.clone());
            App::new().route(
                "/jwks",
                web::get().to(move || {
                    let (jwks, counter) = (jwks.clone(), counter.clone());
                    async move {
                        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        HttpResponse::Ok().json(jwks)
                    }
                }),
            )
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let url = format!("http://127.0.0.1:{}/jwks", server.addrs()[0].port());
        actix_web::rt::spawn(server.run());
        let v = std::sync::Arc::new(JwtVerifier::remote(url, "admin-api"));
        let token = key
            .sign(&InternalClaims::new(
                &principal(),
                "admin-api",
                now(),
                Duration::from_secs(60),
            ))
            .unwrap();
        let calls: Vec<_> = (0..20)
            .map(|_| {
                let (v, token) = (v.clone(), token.clone());
                actix_web::rt::spawn(async move { v.verify(&token).await.is_ok() })
            })
            .collect();
        for call in calls {
            assert!(call.await.unwrap(), "a cold verifier refused a valid token");
        }
        assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[test]
    fn keys_round_trip_through_pkcs8() {
        let key = SigningKey::generate("k9").unwrap();
        let again = SigningKey::from_pkcs8("k9", key.pkcs8()).unwrap();
        assert_eq!(key.jwk(), again.jwk());
    }
}
