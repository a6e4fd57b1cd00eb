//! Webhook deliveries from the outbox (`webhook_deliveries`, a crates/jobs
//! queue): Standard Webhooks headers and signature, retries with backoff,
//! 3xx counted as failure, 410 disabling the endpoint, and no delivery to a
//! private, loopback or link-local address — checked on the resolved
//! address, which the request is then pinned to (no DNS rebinding between
//! check and connect). Redirects are not followed.

use crate::metrics::DeliveryOutcome;
use crate::runner::Ctx;
use diesel::{
    QueryableByName,
    sql_types::{Jsonb, Text, Uuid as SqlUuid},
};
use diesel_async::RunQueryDsl;
use generation_api::{credits::Mode, webhooks};
use jobs::{Lease, Outcome};
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
    time::Duration,
};
use tokio::sync::watch;

#[derive(QueryableByName)]
struct DeliveryRow {
    #[diesel(sql_type = SqlUuid)]
    workspace_id: uuid::Uuid,
    #[diesel(sql_type = Text)]
    env: String,
    #[diesel(sql_type = Text)]
    url: String,
    #[diesel(sql_type = Jsonb)]
    payload: serde_json::Value,
}

/// Whether an address is one a webhook must never reach.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.octets()[0] == 0
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64) // 100.64/10 CGNAT
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local
                || (seg[0] & 0xffc0) == 0xfe80 // link-local
        }
    }
}

enum Attempt {
    Delivered,
    Gone(u16),
    Blocked(String),
    Retry(String),
}

/// Delivers webhooks from the outbox until `shutdown` flips.
pub async fn run_deliveries(ctx: Arc<Ctx>, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    let (queue, concurrency) = (ctx.deliveries.clone(), ctx.config.webhook_concurrency);
    crate::runner::work_queue(ctx, queue, concurrency, shutdown, |ctx, lease| async move {
        if let Err(e) = deliver(&ctx, lease).await {
            tracing::warn!(error = %e, "webhook delivery errored; the reaper will retry it");
        }
    })
    .await
}

async fn deliver(ctx: &Ctx, lease: Lease) -> anyhow::Result<()> {
    let mut conn = ctx.pool.get().await?;
    let row: DeliveryRow = diesel::sql_query(
        "SELECT workspace_id, env, url, payload FROM webhook_deliveries WHERE id = $1",
    )
    .bind::<SqlUuid, _>(lease.id)
    .get_result(&mut conn)
    .await?;
    let secret = webhooks::secret(&mut conn, row.workspace_id, Mode::parse(&row.env)).await?;
    drop(conn);
    let attempt = attempt(ctx, &lease, &row, &secret).await;
    ctx.metrics.delivery(match attempt {
        Attempt::Delivered => DeliveryOutcome::Delivered,
        Attempt::Gone(_) => DeliveryOutcome::EndpointGone,
        Attempt::Blocked(_) => DeliveryOutcome::BlockedAddress,
        Attempt::Retry(_) => DeliveryOutcome::Failed,
    });
    let mut conn = ctx.pool.get().await?;
    match attempt {
        Attempt::Delivered => {
            ctx.deliveries
                .finish(&mut conn, &lease, Outcome::Succeeded)
                .await?;
        }
        Attempt::Gone(code) => {
            diesel::sql_query(
                "INSERT INTO webhook_disabled_urls (workspace_id, env, url) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind::<SqlUuid, _>(row.workspace_id)
            .bind::<Text, _>(&row.env)
            .bind::<Text, _>(&row.url)
            .execute(&mut conn)
            .await?;
            tracing::info!(delivery = %lease.id, status = code, "webhook endpoint disabled");
            let outcome = Outcome::Failed {
                code: "endpoint_gone",
                message: "the endpoint answered 410 Gone and is disabled",
            };
            ctx.deliveries.finish(&mut conn, &lease, outcome).await?;
        }
        Attempt::Blocked(why) => {
            let outcome = Outcome::Failed {
                code: "blocked_address",
                message: &why,
            };
            ctx.deliveries.finish(&mut conn, &lease, outcome).await?;
        }
        Attempt::Retry(why) => {
            ctx.deliveries
                .retry(&mut conn, &lease, "delivery_failed", &why)
                .await?;
        }
    }
    Ok(())
}

async fn attempt(ctx: &Ctx, lease: &Lease, row: &DeliveryRow, secret: &str) -> Attempt {
    let Ok(url) = reqwest::Url::parse(&row.url) else {
        return Attempt::Blocked("the URL does not parse".into());
    };
    let Some(host) = url.host_str().map(str::to_owned) else {
        return Attempt::Blocked("the URL has no host".into());
    };
    let port = url.port_or_known_default().unwrap_or(443);
    let addrs: Vec<SocketAddr> = match tokio::net::lookup_host((host.as_str(), port)).await {
        Ok(a) => a.collect(),
        Err(e) => return Attempt::Retry(format!("cannot resolve {host}: {e}")),
    };
    let Some(addr) = addrs
        .iter()
        .copied()
        .find(|a| ctx.config.webhook_allow_private || !is_forbidden(a.ip()))
    else {
        return Attempt::Blocked(format!(
            "{host} resolves only to private, loopback or link-local addresses"
        ));
    };
    let client = match reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_millis(ctx.config.webhook_timeout_ms))
        .resolve(&host, addr)
        .build()
    {
        Ok(c) => c,
        Err(e) => return Attempt::Retry(e.to_string()),
    };
    let body = row.payload.to_string();
    let msg_id = format!("msg_{}", lease.id.simple());
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let Some(signature) = webhooks::sign(secret, &msg_id, timestamp, &body) else {
        return Attempt::Blocked("the workspace's webhook secret is malformed".into());
    };
    let res = client
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &msg_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(body)
        .send()
        .await;
    match res {
        Ok(r) if r.status().is_success() => Attempt::Delivered,
        Ok(r) if r.status().as_u16() == 410 => Attempt::Gone(410),
        Ok(r) => Attempt::Retry(format!("the endpoint answered {}", r.status().as_u16())),
        Err(e) => Attempt::Retry(format!("request failed: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_and_link_local_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }
}
