//! Throughput and latency of rate-limit decisions against real Redis, three ways in one run:
//!
//! 1. `grpc`: through the service's gRPC API (an in-process server on a random port, real TCP/HTTP2).
//! 2. `lua`:  the same Lua script called directly with the same connection type,
//!    the same keys and arguments, and the same concurrency.
//! 3. `core`: the service's decision engine (`Limiter::decide`) in-process, without gRPC,
//!    to split the overhead between the engine and the transport.
//!
//! The ratio shows the service's own overhead (tonic, policy lookup, metrics, timeout wrapper).
//! Run through `deploy/bench/ratelimit.sh` (release build). Keys use a unique prefix and are
//! deleted at the end.

use clap::Parser;
use hdrhistogram::Histogram;
use ratelimit_service::{Application, config::Config, gcra, store::RedisConn};
use rpc::ratelimit::{Descriptor, RateLimitRequest, rate_limit_client::RateLimitClient};
use std::time::{Duration, Instant};

#[derive(Parser, Debug, Clone)]
struct Args {
    /// Concurrent callers.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds per mode (after a 1 s warm-up).
    #[arg(long, default_value_t = 10)]
    secs: u64,
    /// Distinct subjects (keys) spread over the callers.
    #[arg(long, default_value_t = 10_000)]
    subjects: usize,
    /// gRPC channels (HTTP/2 connections) shared by the callers.
    #[arg(long, default_value_t = 4)]
    channels: usize,
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    redis_url: String,
}

struct Report {
    name: &'static str,
    count: u64,
    allowed: u64,
    elapsed: Duration,
    hist: Histogram<u64>,
}

impl Report {
    #[expect(clippy::cast_precision_loss, reason = "report figures")]
    fn rate(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }
    fn print(&self) {
        let q = |p: f64| Duration::from_micros(self.hist.value_at_quantile(p));
        println!(
            "{:<5} {:>10.0} decisions/s  p50 {:>9.3?}  p99 {:>9.3?}  p99.9 {:>9.3?}  max {:>9.3?}  ({} decisions, {} allowed)",
            self.name,
            self.rate(),
            q(0.50),
            q(0.99),
            q(0.999),
            Duration::from_micros(self.hist.max()),
            self.count,
            self.allowed
        );
    }
}

fn hist() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).unwrap_or_else(|e| panic!("histogram: {e}"))
}

/// Runs `concurrency` callers of `call(i)` for `secs` (after warm-up); `call` returns allowed?
async fn drive<F, Fut>(name: &'static str, args: &Args, call: F) -> Report
where
    F: Fn(usize, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let warmup_end = Instant::now() + Duration::from_secs(1);
    let end = warmup_end + Duration::from_secs(args.secs);
    let mut tasks = Vec::new();
    for w in 0..args.concurrency {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let (mut h, mut n, mut ok, mut i) = (hist(), 0u64, 0u64, 0usize);
            loop {
                let t = Instant::now();
                if t >= end {
                    break;
                }
                let allowed = call(w, i).await;
                i += 1;
                if t >= warmup_end {
                    let _ = h.record(
                        u64::try_from(t.elapsed().as_micros())
                            .unwrap_or(u64::MAX)
                            .max(1),
                    );
                    n += 1;
                    ok += u64::from(allowed);
                }
            }
            (h, n, ok)
        }));
    }
    let mut report = Report {
        name,
        count: 0,
        allowed: 0,
        elapsed: Duration::from_secs(args.secs),
        hist: hist(),
    };
    for t in tasks {
        let (h, n, ok) = t.await.unwrap_or_else(|e| panic!("{e}"));
        let _ = report.hist.add(h);
        report.count += n;
        report.allowed += ok;
    }
    report
}

fn subject(args: &Args, w: usize, i: usize) -> String {
    format!("key_bench{}", (w * 7919 + i) % args.subjects)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let prefix = format!("rlbench{}", std::process::id());
    let config = Config {
        grpc_listen: "127.0.0.1:0".into(),
        listen: "127.0.0.1:0".into(),
        redis: service_kit::config::RedisConfig {
            url: service_kit::config::SecretUrl::new(args.redis_url.clone()),
            cluster: false,
        },
        prefix: prefix.clone(),
        timeout_ms: 1000,
        usage_day_ttl_days: 1,
        usage_month_ttl_days: 1,
        ..Config::default()
    };
    let app = Application::build(config).await?;
    let port = app.grpc_port();
    let limiter = app.limiter();
    let policy = limiter.policies().resolve("starter", "read").clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async move {
        let _ = rx.await;
    }));
    println!(
        "ratelimit bench: concurrency {}, {} s per mode, {} subjects, policy {} ({}/{} s + burst {}), redis {}",
        args.concurrency,
        args.secs,
        args.subjects,
        policy.name,
        policy.limit,
        policy.window_seconds,
        policy.burst,
        args.redis_url
    );

    // 1. Through gRPC.
    let mut channels = Vec::new();
    for _ in 0..args.channels.max(1) {
        channels.push(RateLimitClient::connect(format!("http://127.0.0.1:{port}")).await?);
    }
    let a = args.clone();
    let grpc = drive("grpc", &args, move |w, i| {
        let mut c = channels[w % channels.len()].clone();
        let s = subject(&a, w, i);
        async move {
            let req = RateLimitRequest {
                descriptor: Some(Descriptor {
                    subject: s,
                    tier: "starter".into(),
                    route_class: "read".into(),
                }),
                hits: 1,
                check_only: false,
                requests: 1,
                report_only: false,
            };
            match c.should_rate_limit(req).await {
                Ok(r) => r.into_inner().code == rpc::ratelimit::Code::Ok as i32,
                Err(e) => panic!("grpc: {e}"),
            }
        }
    })
    .await;

    // 2. The same Lua script, called directly (same keys, arguments and concurrency).
    let con = RedisConn::open(&args.redis_url, false)?;
    let script = std::sync::Arc::new(redis::Script::new(gcra::LUA));
    let (a, p, pol) = (args.clone(), prefix.clone(), policy.clone());
    let day = {
        let d = time::OffsetDateTime::now_utc().date();
        format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
    };
    let lua = drive("lua", &args, move |w, i| {
        let (mut con, script, s) = (con.clone(), script.clone(), subject(&a, w, i));
        let (p, pol, day) = (p.clone(), pol.clone(), day.clone());
        async move {
            let reply: Vec<i64> = script
                .key(format!("{p}:{{{s}}}:{}", pol.class))
                .key(format!("{p}:{{{s}}}:usage:d:{day}"))
                .key(format!("{p}:{{{s}}}:usage:m:{}", &day[..7]))
                .arg(pol.interval_us())
                .arg(pol.capacity())
                .arg(1)
                .arg(0)
                .arg(0)
                .arg(86_400)
                .arg(86_400)
                .invoke_async(&mut con)
                .await
                .unwrap_or_else(|e| panic!("lua: {e}"));
            reply.first() == Some(&1)
        }
    })
    .await;

    // 3. The service's decision engine in-process, without the gRPC transport.
    let (a, l) = (args.clone(), limiter.clone());
    let core = drive("core", &args, move |w, i| {
        let (l, s) = (l.clone(), subject(&a, w, i));
        async move {
            let req = ratelimit_service::limiter::Request {
                subject: &s,
                tier: "starter",
                route_class: "read",
                hits: 1,
                check_only: false,
                requests: 1,
                report_only: false,
            };
            match l.decide(&req).await {
                Ok(d) => d.allowed,
                Err(e) => panic!("core: {e}"),
            }
        }
    })
    .await;

    grpc.print();
    core.print();
    lua.print();
    let ratio = grpc.rate() / lua.rate();
    let p50 = |r: &Report| r.hist.value_at_quantile(0.5).max(1);
    #[expect(clippy::cast_precision_loss, reason = "report figures")]
    let lat = p50(&grpc) as f64 / p50(&lua) as f64;
    println!("grpc/lua throughput ratio {ratio:.2}, p50 latency ratio {lat:.2}");
    println!(
        "core/lua throughput ratio {:.2} (decision engine without gRPC: policy, keys, timeout, metrics)",
        core.rate() / lua.rate()
    );

    // Clean up the bench keys.
    let client = redis::Client::open(args.redis_url.as_str())?;
    let mut c = client.get_multiplexed_async_connection().await?;
    let keys: Vec<String> = {
        let mut it: redis::AsyncIter<'_, String> =
            redis::AsyncCommands::scan_match(&mut c, format!("{prefix}:*")).await?;
        let mut v = Vec::new();
        while let Some(k) = futures_util::StreamExt::next(&mut it).await {
            v.push(k?);
        }
        v
    };
    for chunk in keys.chunks(500) {
        let _: () = redis::cmd("UNLINK").arg(chunk).query_async(&mut c).await?;
    }
    let _ = tx.send(());
    let _ = server.await;
    Ok(())
}
