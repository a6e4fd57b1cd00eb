//! `bench-auth`: load generator for gRPC `Authenticate` against a running auth service.
//!
//! Creates an admin tenant and `--keys` keys through the operator API, then
//! calls `Authenticate` from `--concurrency` tasks for `--seconds` (after a
//! one-second warm-up), cycling through the keys, and prints calls/s and
//! latency percentiles. Run it against an instance with the key cache on and
//! one with `AUTH__KEY_CACHE_TTL_MS=0` to compare cached and uncached paths
//! (`deploy/bench/auth.sh` does both).

use clap::Parser;
use hdrhistogram::Histogram;
use rpc::auth::{AuthError, AuthenticateRequest, Product, auth_client::AuthClient};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "bench-auth")]
struct Args {
    /// Label printed with the results.
    #[arg(long, default_value = "authenticate")]
    label: String,
    #[arg(long, default_value = "http://127.0.0.1:8181")]
    http: String,
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    grpc: String,
    #[arg(
        long,
        env = "AUTH_OPERATOR_TOKEN",
        default_value = "dev-operator-token"
    )]
    token: String,
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// gRPC connections (HTTP/2) shared by the tasks.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Distinct keys to cycle through.
    #[arg(long, default_value_t = 100)]
    keys: usize,
}

async fn mint_keys(args: &Args) -> anyhow::Result<Vec<String>> {
    let http = reqwest::Client::new();
    let tenant: Value = http
        .post(format!("{}/v1/tenants", args.http))
        .bearer_auth(&args.token)
        .json(&json!({ "product": "admin", "name": "bench" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let mut keys = Vec::with_capacity(args.keys);
    for i in 0..args.keys {
        let key: Value = http
            .post(format!("{}/v1/keys", args.http))
            .bearer_auth(&args.token)
            .json(&json!({
                "tenant_id": tenant["id"],
                "name": format!("bench-{i}"),
                "scopes": ["customers:read", "orders:read"],
            }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        keys.push(key["key"].as_str().unwrap_or_default().to_owned());
    }
    Ok(keys)
}

struct TaskResult {
    histogram: Histogram<u64>,
    calls: u64,
    refused: u64,
    /// Including the warm-up.
    total: u64,
}

async fn worker(
    mut client: AuthClient<tonic::transport::Channel>,
    keys: std::sync::Arc<Vec<String>>,
    offset: usize,
    warmup_until: Instant,
    until: Instant,
) -> anyhow::Result<TaskResult> {
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut calls, mut refused, mut total) = (0u64, 0u64, 0u64);
    let mut i = offset;
    loop {
        let now = Instant::now();
        if now >= until {
            break;
        }
        let token = keys[i % keys.len()].clone();
        i += 1;
        let started = Instant::now();
        let res = client
            .authenticate(AuthenticateRequest {
                token,
                product: Product::Admin as i32,
                audience: "admin-api".into(),
            })
            .await?
            .into_inner();
        let micros = started.elapsed().as_micros() as u64;
        total += 1;
        if started >= warmup_until {
            histogram.record(micros.max(1))?;
            calls += 1;
            if res.error != AuthError::Unspecified as i32 {
                refused += 1;
            }
        }
    }
    Ok(TaskResult {
        histogram,
        calls,
        refused,
        total,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let keys = std::sync::Arc::new(mint_keys(&args).await?);
    let mut channels = Vec::new();
    for _ in 0..args.connections.max(1) {
        channels.push(
            tonic::transport::Endpoint::from_shared(args.grpc.clone())?
                .connect()
                .await?,
        );
    }
    let start = Instant::now();
    let warmup_until = start + Duration::from_secs(1);
    let until = warmup_until + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for t in 0..args.concurrency {
        let client = AuthClient::new(channels[t % channels.len()].clone());
        tasks.push(tokio::spawn(worker(
            client,
            keys.clone(),
            t * 7,
            warmup_until,
            until,
        )));
    }
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut calls, mut refused, mut total) = (0u64, 0u64, 0u64);
    for task in tasks {
        let r = task.await??;
        histogram.add(&r.histogram)?;
        calls += r.calls;
        refused += r.refused;
        total += r.total;
    }
    let seconds = args.seconds as f64;
    println!(
        "{label:<10} keys={keys:<6} concurrency={c:<4} calls={calls:<8} total_calls={total} refused={refused} \
         calls/s={rate:>9.0} p50={p50:.3}ms p90={p90:.3}ms p99={p99:.3}ms p99.9={p999:.3}ms max={max:.3}ms",
        label = args.label,
        keys = keys.len(),
        c = args.concurrency,
        rate = calls as f64 / seconds,
        p50 = histogram.value_at_quantile(0.50) as f64 / 1000.0,
        p90 = histogram.value_at_quantile(0.90) as f64 / 1000.0,
        p99 = histogram.value_at_quantile(0.99) as f64 / 1000.0,
        p999 = histogram.value_at_quantile(0.999) as f64 / 1000.0,
        max = histogram.max() as f64 / 1000.0,
    );
    if refused > 0 {
        anyhow::bail!("{refused} calls were refused: the benchmark keys should all be valid");
    }
    Ok(())
}
