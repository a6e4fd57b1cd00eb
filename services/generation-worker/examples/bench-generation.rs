//! `bench-generation [--smoke]`: figures for the generation service on a fresh database.
//!
//! 1. create→`succeeded` latency (p50/p99) of local image jobs: generation-api
//!    in-process on a random port (JWTs signed by the bench), one worker
//!    in-process, jobs created one after another over HTTP and polled every 5 ms;
//! 2. queue throughput: no-op entries claimed and completed per second by 2
//!    workers using crates/jobs (claim, then finish: two statements, as the
//!    worker does), beside pgbench running a bare `FOR UPDATE SKIP LOCKED`
//!    claim-then-complete script with 2 clients on the same database, in the
//!    same run. Goal: jobs/pgbench ≥ 0.5.
//!
//! Environment: DATABASE_URL (server), BENCH_IMAGES (200), BENCH_QUEUE_JOBS (20000).

use anyhow::Context;
use auth_core::{
    Principal, Product,
    jwt::{InternalClaims, Jwks, JwtVerifier, SigningKey, now},
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use hdrhistogram::Histogram;
use service_kit::config::{DatabaseConfig, SecretUrl};
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service_kit::install_crypto_provider();
    let smoke = std::env::args().any(|a| a == "--smoke");
    let server = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let images = if smoke {
        5
    } else {
        env_or("BENCH_IMAGES", 200)
    };
    let queue_jobs = if smoke {
        400
    } else {
        env_or("BENCH_QUEUE_JOBS", 20_000)
    };
    let db_url = db::fresh_database(&server, "genbench", generation_api::MIGRATIONS).await?;
    println!(
        "bench-generation{} on a fresh database",
        if smoke { " (smoke)" } else { "" }
    );
    let latency = image_latency(&db_url, images).await?;
    println!(
        "create→succeeded, local image 512x512 PNG, {images} jobs one at a time: p50 {:.1} ms  p99 {:.1} ms  max {:.1} ms",
        latency.value_at_quantile(0.5) as f64 / 1000.0,
        latency.value_at_quantile(0.99) as f64 / 1000.0,
        latency.max() as f64 / 1000.0
    );
    let ours = queue_throughput(&db_url, queue_jobs).await?;
    let pgbench = pgbench_throughput(&db_url, queue_jobs)?;
    println!("queue, no-op jobs, 2 workers (crates/jobs claim + finish): {ours:.0} jobs/s");
    println!("pgbench, bare SKIP LOCKED claim + complete, 2 clients:      {pgbench:.0} jobs/s");
    println!("ratio jobs/pgbench: {:.2} (goal ≥ 0.5)", ours / pgbench);
    let mut admin = AsyncPgConnection::establish(&db::with_database(&server, "postgres")?).await?;
    let name = db_url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await;
    Ok(())
}

async fn image_latency(db_url: &str, n: u64) -> anyhow::Result<Histogram<u64>> {
    let key = SigningKey::generate("bench")?;
    let verifier = JwtVerifier::from_jwks(
        &Jwks {
            keys: vec![key.jwk()],
        },
        "generation-api",
    );
    let root = std::env::temp_dir().join(format!("gen-bench-{}", uuid::Uuid::new_v4().simple()));
    let mut config = generation_api::Config {
        listen: "127.0.0.1:0".into(),
        database: DatabaseConfig {
            url: SecretUrl::new(db_url),
            pool_size: 8,
            run_migrations: false,
            ..DatabaseConfig::default()
        },
        workers: 1,
        idempotency_purge_interval_seconds: 0,
        ..generation_api::Config::default()
    };
    config.storage.root = root.to_string_lossy().into_owned();
    let app = generation_api::Application::build_with(config.clone(), verifier).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let mut worker = generation_worker::Config {
        listen: String::new(),
        database: DatabaseConfig {
            url: SecretUrl::new(db_url),
            pool_size: 4,
            run_migrations: false,
            ..DatabaseConfig::default()
        },
        poll_interval_ms: 1000,
        provider_poll_interval_ms: 2,
        ..generation_worker::Config::default()
    };
    worker.storage.root = config.storage.root.clone();
    let ctx = generation_worker::context(worker)?;
    let (stop, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(generation_worker::run(ctx, rx));

    let principal = Principal {
        tenant_id: uuid::Uuid::now_v7(),
        product: Product::Generation,
        scopes: vec!["read".into(), "generate".into()],
        tier: "enterprise".into(),
        key_id: "key_bench".into(),
        user_id: Some("usr_bench".into()),
        public_id: None,
        env: "live".into(),
    };
    let mut conn = AsyncPgConnection::establish(db_url).await?;
    generation_api::credits::set_plan(&mut conn, principal.tenant_id, "enterprise", Some("bench"))
        .await?;
    generation_api::credits::grant(&mut conn, principal.tenant_id, 1_000_000, "bench").await?;
    let http = reqwest::Client::new();
    let mut hist = Histogram::<u64>::new(3)?;
    let mut token_at = Instant::now() - Duration::from_secs(3600);
    let mut bearer = String::new();
    for i in 0..n {
        if token_at.elapsed() > Duration::from_secs(120) {
            let claims = InternalClaims::new(
                &principal,
                "generation-api",
                now(),
                Duration::from_secs(300),
            );
            bearer = format!("Bearer {}", key.sign(&claims)?);
            token_at = Instant::now();
        }
        let start = Instant::now();
        let job: serde_json::Value = http
            .post(format!("{base}/api/v1/images/generations"))
            .header("authorization", &bearer)
            .json(&serde_json::json!({ "prompt": format!("Bench image {i}: a lamp on a desk"), "seed": i }))
            .send()
            .await?
            .json()
            .await?;
        let id = job["id"].as_str().context("no job id")?.to_owned();
        loop {
            let j: serde_json::Value = http
                .get(format!("{base}/api/v1/jobs/{id}"))
                .header("authorization", &bearer)
                .send()
                .await?
                .json()
                .await?;
            match j["status"].as_str() {
                Some("succeeded") => break,
                Some("failed" | "canceled") => anyhow::bail!("bench job failed: {j}"),
                _ => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
        hist.record(start.elapsed().as_micros() as u64)?;
    }
    let _ = stop.send(true);
    let _ = std::fs::remove_dir_all(root);
    Ok(hist)
}

const BENCH_TABLE: &str = "CREATE TABLE IF NOT EXISTS bench_jobs (
    id UUID PRIMARY KEY, status TEXT NOT NULL DEFAULT 'queued', run_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts INT NOT NULL DEFAULT 0, max_attempts INT NOT NULL DEFAULT 3, lease_owner TEXT,
    lease_expires_at TIMESTAMPTZ, deadline_at TIMESTAMPTZ, cancel_requested BOOLEAN NOT NULL DEFAULT false,
    started_at TIMESTAMPTZ, completed_at TIMESTAMPTZ, error_code TEXT, error_message TEXT)";

async fn fill(conn: &mut AsyncPgConnection, n: u64) -> anyhow::Result<()> {
    diesel::sql_query(BENCH_TABLE).execute(conn).await?;
    diesel::sql_query("TRUNCATE bench_jobs")
        .execute(conn)
        .await?;
    diesel::sql_query("CREATE INDEX IF NOT EXISTS bench_jobs_due ON bench_jobs (run_at, id) WHERE status = 'queued'")
        .execute(conn)
        .await?;
    diesel::sql_query(format!(
        "INSERT INTO bench_jobs (id, run_at) SELECT gen_random_uuid(), now() - interval '1 hour' + g * interval '1 microsecond' \
         FROM generate_series(1, {n}) g"
    ))
    .execute(conn)
    .await?;
    diesel::sql_query("VACUUM ANALYZE bench_jobs")
        .execute(conn)
        .await?;
    Ok(())
}

async fn queue_throughput(db_url: &str, n: u64) -> anyhow::Result<f64> {
    let mut conn = AsyncPgConnection::establish(db_url).await?;
    fill(&mut conn, n).await?;
    let queue = jobs::Queue::new(jobs::QueueConfig::new("bench_jobs"))?;
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..2 {
        let (queue, url) = (queue.clone(), db_url.to_owned());
        tasks.push(tokio::spawn(async move {
            let mut conn = AsyncPgConnection::establish(&url).await?;
            let owner = format!("bench-{w}");
            let mut done = 0u64;
            loop {
                let claimed = queue.claim(&mut conn, &owner, 1).await?;
                let Some(c) = claimed.into_iter().next() else {
                    break;
                };
                queue
                    .finish(&mut conn, &c.lease, jobs::Outcome::Succeeded)
                    .await?;
                done += 1;
            }
            anyhow::Ok(done)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    anyhow::ensure!(total == n, "completed {total} of {n}");
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

fn pgbench_throughput(db_url: &str, n: u64) -> anyhow::Result<f64> {
    let rt = tokio::runtime::Handle::current();
    tokio::task::block_in_place(|| {
        rt.block_on(async {
            let mut conn = AsyncPgConnection::establish(db_url).await?;
            fill(&mut conn, n).await
        })
    })?;
    let script =
        std::env::temp_dir().join(format!("gen-pgbench-{}.sql", uuid::Uuid::new_v4().simple()));
    std::fs::write(
        &script,
        "WITH due AS (SELECT id FROM bench_jobs WHERE status = 'queued' AND run_at <= now() \
         ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
         UPDATE bench_jobs q SET status = 'processing', attempts = q.attempts + 1, lease_owner = 'pgbench', \
         lease_expires_at = now() + interval '30 seconds' FROM due WHERE q.id = due.id RETURNING q.id AS claimed \\gset\n\
         UPDATE bench_jobs SET status = 'succeeded', completed_at = now(), lease_owner = NULL, lease_expires_at = NULL \
         WHERE id = :claimed;\n",
    )?;
    let per_client = n / 2;
    let start = Instant::now();
    let out = std::process::Command::new("pgbench")
        .args([
            "-n",
            "-M",
            "prepared",
            "-c",
            "2",
            "-j",
            "2",
            "-t",
            &per_client.to_string(),
            "-f",
        ])
        .arg(&script)
        .arg(db_url)
        .output()
        .context("pgbench (postgresql-contrib / postgresql client) is required")?;
    let elapsed = start.elapsed();
    let _ = std::fs::remove_file(&script);
    anyhow::ensure!(
        out.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // pgbench's own tps excludes connection set-up; use it when printed.
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tps = stdout
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.trim_start_matches("tps = ").split_whitespace().next())
        .and_then(|v| v.parse::<f64>().ok());
    Ok(tps.unwrap_or((per_client * 2) as f64 / elapsed.as_secs_f64()))
}
