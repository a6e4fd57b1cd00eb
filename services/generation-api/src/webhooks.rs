//! Job webhooks: the URL rules, the workspace's `whsec_` secret, the outbox
//! row written in the transaction that makes a job final, and the Standard
//! Webhooks signature (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, the
//! key being the base64 part of the secret after `whsec_`).
//!
//! At creation a URL must be `https` (`http` too in development) with a host
//! and no credentials; whether it resolves to a private, loopback or
//! link-local address is checked at delivery, on the resolved address (the
//! worker), since DNS can change between the two.

use crate::{credits::Mode, models::JobRow, views};
use base64::Engine;
use diesel::{
    QueryableByName,
    sql_types::{Jsonb, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use error_envelope::ApiError;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use uuid::Uuid;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Validates a job's `webhook_url` at creation.
pub fn validate_url(raw: &str, development: bool) -> Result<(), ApiError> {
    let bad = |why: &str| ApiError::validation("webhook_url", format!("webhook_url {why}"));
    let url = reqwest::Url::parse(raw).map_err(|_| bad("must be an absolute URL"))?;
    match url.scheme() {
        "https" => {}
        "http" if development => {}
        _ => return Err(bad("must use https")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("must have a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not carry credentials"));
    }
    Ok(())
}

#[derive(QueryableByName)]
struct SecretRow {
    #[diesel(sql_type = Text)]
    secret: String,
}

/// The workspace's signing secret of `mode`, created on first use.
pub async fn secret(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    mode: Mode,
) -> diesel::QueryResult<String> {
    let fresh = format!("whsec_{}", B64.encode(rand::random::<[u8; 24]>()));
    diesel::sql_query(
        "INSERT INTO webhook_secrets (workspace_id, env, secret) VALUES ($1, $2, $3) \
         ON CONFLICT (workspace_id, env) DO UPDATE SET secret = webhook_secrets.secret RETURNING secret",
    )
    .bind::<SqlUuid, _>(workspace)
    .bind::<Text, _>(mode.as_str())
    .bind::<Text, _>(fresh)
    .get_result::<SecretRow>(conn)
    .await
    .map(|r| r.secret)
}

/// The `webhook-signature` value for one message.
pub fn sign(secret: &str, msg_id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = B64.decode(secret.strip_prefix("whsec_")?).ok()?;
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).ok()?;
    mac.update(format!("{msg_id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

/// `job.succeeded`, `job.failed` or `job.canceled` for a final status.
pub fn event_type(status: &str) -> Option<&'static str> {
    match status {
        "succeeded" => Some("job.succeeded"),
        "failed" => Some("job.failed"),
        "canceled" => Some("job.canceled"),
        _ => None,
    }
}

/// Writes the delivery of `job`'s final event to the outbox (when it has a
/// webhook URL not disabled by a 410); call inside the transaction that made it final.
pub async fn enqueue(
    conn: &mut AsyncPgConnection,
    job: &JobRow,
    queue: &jobs::Queue,
) -> diesel::QueryResult<()> {
    let (Some(url), Some(event)) = (&job.webhook_url, event_type(&job.status)) else {
        return Ok(());
    };
    let payload = serde_json::json!({
        "type": event,
        "timestamp": time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        "data": views::Job::from(job),
    });
    let inserted = diesel::sql_query(
        "INSERT INTO webhook_deliveries (id, workspace_id, env, job_id, event_type, url, payload) \
         SELECT $1, $2, $3, $4, $5, $6, $7 WHERE NOT EXISTS (SELECT 1 FROM webhook_disabled_urls \
         WHERE workspace_id = $2 AND env = $3 AND url = $6)",
    )
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<SqlUuid, _>(job.workspace_id)
    .bind::<Text, _>(&job.env)
    .bind::<SqlUuid, _>(job.id)
    .bind::<Text, _>(event)
    .bind::<Text, _>(url)
    .bind::<Jsonb, _>(&payload)
    .execute(conn)
    .await?;
    if inserted > 0 {
        queue.notify(conn).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_standard_webhooks_example() {
        // The example of the Standard Webhooks specification.
        let sig = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(
            sig.as_deref(),
            Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        );
    }

    #[test]
    fn webhook_urls_are_https_outside_development() {
        assert!(validate_url("https://hooks.example.com/sume", false).is_ok());
        assert!(validate_url("http://hooks.example.com/sume", false).is_err());
        assert!(validate_url("http://127.0.0.1:9/x", true).is_ok());
        assert!(validate_url("https://user:pw@hooks.example.com/", false).is_err());
        assert!(validate_url("ftp://hooks.example.com/", true).is_err());
        assert_eq!(
            validate_url("nope", false).unwrap_err().details()["field"],
            "webhook_url"
        );
    }
}
