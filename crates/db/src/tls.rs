//! PostgreSQL over TLS (rustls, through `tokio-postgres-rustls`) when the URL
//! asks for it with libpq's `sslmode`:
//!
//! | `sslmode` | connection |
//! |---|---|
//! | absent, `disable`, `allow`, `prefer` | plaintext (the local default) |
//! | `require` | TLS, the server certificate is not verified (libpq's meaning: encryption against passive eavesdropping only) |
//! | `verify-ca`, `verify-full` | TLS, the chain is verified against `sslrootcert` (a PEM file) or, without it, the Mozilla roots, and the host name must match (`verify-ca` is treated as the stricter `verify-full`) |
//!
//! `sslrootcert` is consumed here (tokio-postgres does not know it); the rest
//! of the URL goes to tokio-postgres unchanged.

use diesel::{ConnectionError, ConnectionResult};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use rustls::{
    DigitallySignedStruct, SignatureScheme,
    client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier},
    pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject},
};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Plain,
    /// Encrypt, do not verify the server.
    Require,
    /// Encrypt and verify chain and host name.
    VerifyFull,
}

/// A URL split into what tokio-postgres reads and what the TLS set-up reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) url: String,
    pub(crate) mode: Mode,
    pub(crate) root_cert: Option<String>,
}

pub(crate) fn parse(url: &str) -> Result<Target, String> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok(Target {
            url: url.to_owned(),
            mode: Mode::Plain,
            root_cert: None,
        });
    };
    let mut mode = Mode::Plain;
    let mut root_cert = None;
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => {
                mode = match value {
                    "disable" | "allow" | "prefer" => Mode::Plain,
                    "require" => Mode::Require,
                    "verify-ca" | "verify-full" => Mode::VerifyFull,
                    other => return Err(format!("unsupported sslmode {other:?}")),
                };
            }
            "sslrootcert" => root_cert = Some(percent_decode(value)),
            _ => kept.push(pair),
        }
    }
    match mode {
        Mode::Plain => kept.push("sslmode=disable"),
        Mode::Require | Mode::VerifyFull => kept.push("sslmode=require"),
    }
    Ok(Target {
        url: format!("{base}?{}", kept.join("&")),
        mode,
        root_cert,
    })
}

/// `%2F` → `/` (paths in URLs are often percent-encoded).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = s.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Connects to `url`, over TLS when its `sslmode` asks for it.
pub async fn establish(url: &str) -> ConnectionResult<AsyncPgConnection> {
    let target = parse(url).map_err(ConnectionError::InvalidConnectionUrl)?;
    if target.mode == Mode::Plain {
        return AsyncPgConnection::establish(url).await;
    }
    let config = client_config(&target).map_err(ConnectionError::BadConnection)?;
    let tls = tokio_postgres_rustls::MakeRustlsConnect::new(config);
    let (client, connection) = tokio_postgres::connect(&target.url, tls)
        .await
        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
    AsyncPgConnection::try_from_client_and_connection(client, connection).await
}

fn client_config(target: &Target) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let config = match target.mode {
        Mode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(EncryptOnly(provider)))
            .with_no_client_auth(),
        _ => {
            let mut roots = rustls::RootCertStore::empty();
            match &target.root_cert {
                Some(path) => {
                    for cert in CertificateDer::pem_file_iter(path)
                        .map_err(|e| format!("sslrootcert {path}: {e}"))?
                    {
                        let cert = cert.map_err(|e| format!("sslrootcert {path}: {e}"))?;
                        roots
                            .add(cert)
                            .map_err(|e| format!("sslrootcert {path}: {e}"))?;
                    }
                }
                None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    Ok(config)
}

/// `sslmode=require`: any server certificate is accepted (its handshake
/// signature is still checked, so the session is encrypted to the holder of
/// the certificate's key).
#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_selects_the_transport_and_sslrootcert_is_consumed() {
        let t = parse("postgres://u@db:5432/app").unwrap();
        assert_eq!(
            (t.mode, t.url.as_str()),
            (Mode::Plain, "postgres://u@db:5432/app")
        );
        let t = parse("postgres://u@db/app?sslmode=require&application_name=x").unwrap();
        assert_eq!(t.mode, Mode::Require);
        assert_eq!(
            t.url,
            "postgres://u@db/app?application_name=x&sslmode=require"
        );
        let t =
            parse("postgres://u@db/app?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem").unwrap();
        assert_eq!(t.mode, Mode::VerifyFull);
        assert_eq!(t.root_cert.as_deref(), Some("/etc/ca.pem"));
        assert_eq!(t.url, "postgres://u@db/app?sslmode=require");
        assert_eq!(
            parse("postgres://db/app?sslmode=prefer").unwrap().mode,
            Mode::Plain
        );
        assert!(parse("postgres://db/app?sslmode=sometimes").is_err());
    }
}
