//! `bench-admin`: list latency at page 1 and at a deep page (keyset: the ratio
//! stays near 1) over a million customers, and GET-by-id requests/s.
//!
//! Runs the service in-process on a random port (directly, without the
//! gateway) with a verifier for its own signing key, and calls it over real
//! HTTP. Seeds the shop once (reused while it holds enough customers).
//!
//! With `--gateway-url` (and a real API key of the same tenant in
//! `BENCH_GATEWAY_KEY`), the GET-by-id run is repeated through a running
//! gateway (`Host: --gateway-host`), with the same ids and concurrency, and both
//! figures are printed side by side (`deploy/bench/admin.sh` starts the
//! platform for that).

use admin_api::{
    Application, Config,
    models::customers::{self, SPEC},
    seed::SeedArgs,
};
use auth_core::{
    Principal, Product,
    jwt::{InternalClaims, Jwks, JwtVerifier, SigningKey, now},
    scopes,
};
use clap::Parser;
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use hdrhistogram::Histogram;
use query::CursorCodec;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[arg(
        long,
        default_value = "postgres://postgres@127.0.0.1:5432/platform_admin_bench"
    )]
    database_url: String,
    #[arg(long, default_value = "0193e7a0-0000-7000-8000-00000000bbbb")]
    tenant: uuid::Uuid,
    #[arg(long, default_value_t = 1_000_000)]
    customers: i64,
    /// The deep page to measure (with `limit`).
    #[arg(long, default_value_t = 10_000)]
    page: i64,
    #[arg(long, default_value_t = 50)]
    limit: i64,
    /// Requests per list measurement.
    #[arg(long, default_value_t = 300)]
    samples: usize,
    /// Duration of the GET-by-id run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Also measure GET by id through this gateway (public listener base URL).
    #[arg(long)]
    gateway_url: Option<String>,
    /// Host header for the gateway's route table.
    #[arg(long, default_value = "admin.localhost")]
    gateway_host: String,
    /// The API key (`copt_…`) of `--tenant` sent to the gateway (env, so it is not in `ps`).
    #[arg(long, env = "BENCH_GATEWAY_KEY", hide_env_values = true)]
    gateway_key: Option<String>,
}

/// Result of one GET-by-id run.
struct Run {
    hist: Histogram<u64>,
    errors: u64,
    secs: f64,
}

impl Run {
    fn rps(&self) -> f64 {
        self.hist.len() as f64 / self.secs
    }
}

/// GET /api/v1/customers/{id} from `concurrency` tasks for `seconds`, cycling over `ids`.
async fn get_by_id(
    client: &reqwest::Client,
    base: &str,
    host: Option<&str>,
    bearer: &str,
    ids: &std::sync::Arc<Vec<String>>,
    seconds: u64,
    concurrency: usize,
) -> anyhow::Result<Run> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (client, ids, bearer, base) = (
            client.clone(),
            ids.clone(),
            bearer.to_owned(),
            base.to_owned(),
        );
        let host = host.map(str::to_owned);
        tasks.push(tokio::spawn(async move {
            let mut h = Histogram::<u64>::new(3)?;
            let mut errors = 0u64;
            let mut i = w * 7919;
            while Instant::now() < deadline {
                let id = &ids[i % ids.len()];
                i += 1;
                let t = Instant::now();
                let mut req = client
                    .get(format!("{base}/api/v1/customers/{id}"))
                    .header("authorization", &bearer);
                if let Some(host) = &host {
                    req = req.header("host", host);
                }
                let res = req.send().await?;
                let ok = res.status() == 200;
                let _ = res.bytes().await?;
                if ok {
                    h.record(t.elapsed().as_micros() as u64)?;
                } else {
                    errors += 1;
                }
            }
            Ok::<_, anyhow::Error>((h, errors))
        }));
    }
    let mut hist = Histogram::<u64>::new(3)?;
    let mut errors = 0;
    for t in tasks {
        let (h, e) = t.await??;
        hist.add(&h)?;
        errors += e;
    }
    Ok(Run {
        hist,
        errors,
        secs: started.elapsed().as_secs_f64(),
    })
}

fn print_run(label: &str, r: &Run, concurrency: usize) {
    println!(
        "  {label:<40} {:>6.0} req/s  ({} requests in {:.1} s, concurrency {}, {} errors), p50 {:.2} ms, p99 {:.2} ms",
        r.rps(),
        r.hist.len(),
        r.secs,
        concurrency,
        r.errors,
        ms(&r.hist, 0.5),
        ms(&r.hist, 0.99)
    );
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    k: time::OffsetDateTime,
    #[diesel(sql_type = Text)]
    id: String,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

fn ms(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

async fn measure(
    client: &reqwest::Client,
    url: &str,
    bearer: &str,
    samples: usize,
    expect_rows: usize,
) -> anyhow::Result<Histogram<u64>> {
    let mut h = Histogram::<u64>::new(3)?;
    for i in 0..samples + 20 {
        let t = Instant::now();
        let res = client
            .get(url)
            .header("authorization", bearer)
            .send()
            .await?;
        let status = res.status();
        let body: serde_json::Value = res.json().await?;
        let elapsed = t.elapsed();
        anyhow::ensure!(status == 200, "{url}: {status} {body}");
        anyhow::ensure!(
            body["data"].as_array().map(Vec::len) == Some(expect_rows),
            "{url}: unexpected page size"
        );
        if i >= 20 {
            h.record(elapsed.as_micros() as u64)?;
        }
    }
    Ok(h)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    db::create_database_if_missing(&args.database_url).await?;
    db::migrate(&args.database_url, admin_api::MIGRATIONS).await?;
    let mut conn = AsyncPgConnection::establish(&args.database_url).await?;
    let have = diesel::sql_query("SELECT count(*) AS n FROM customers WHERE tenant_id = $1")
        .bind::<SqlUuid, _>(args.tenant)
        .get_result::<N>(&mut conn)
        .await?
        .n;
    if have != args.customers {
        println!(
            "seeding {} customers for tenant {} (once; later runs reuse them)…",
            args.customers, args.tenant
        );
        let mut seed = SeedArgs::new(args.tenant, args.customers);
        seed.orders = Some(20_000);
        println!("{}", admin_api::seed::seed(&mut conn, &seed).await?);
    } else {
        println!("reusing {have} seeded customers of tenant {}", args.tenant);
    }

    let key = SigningKey::generate("bench")?;
    let verifier = JwtVerifier::from_jwks(
        &Jwks {
            keys: vec![key.jwk()],
        },
        "admin-api",
    );
    let principal = Principal {
        tenant_id: args.tenant,
        product: Product::Admin,
        scopes: scopes::ADMIN.iter().map(|s| (*s).to_owned()).collect(),
        tier: "enterprise".into(),
        key_id: "key_bench".into(),
        user_id: None,
        public_id: None,
        env: "test".into(),
    };
    let bearer = format!(
        "Bearer {}",
        key.sign(&InternalClaims::new(
            &principal,
            "admin-api",
            now(),
            Duration::from_secs(3600)
        ))?
    );
    let config = Config {
        listen: "127.0.0.1:0".into(),
        database: service_kit::config::DatabaseConfig {
            url: service_kit::config::SecretUrl::new(args.database_url.clone()),
            run_migrations: false,
            ..Default::default()
        },
        workers: 2,
        idempotency_purge_interval_seconds: 0,
        ..Config::default()
    };
    let codec = CursorCodec::new(config.cursor_secret.expose());
    let app = Application::build_with(config, verifier).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;

    // Page 1 and page N of the default list (sort=-created_at).
    let limit = args.limit;
    let page1 = measure(
        &client,
        &format!("{base}/api/v1/customers?limit={limit}"),
        &bearer,
        args.samples,
        limit as usize,
    )
    .await?;
    // The cursor after row (page-1)*limit: the one a client holds after walking page-1 pages.
    let offset = (args.page - 1) * limit - 1;
    anyhow::ensure!(
        offset + limit <= args.customers,
        "page {} is beyond {} customers",
        args.page,
        args.customers
    );
    let last = diesel::sql_query(
        "SELECT created_at AS k, id FROM customers WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1",
    )
    .bind::<SqlUuid, _>(args.tenant)
    .bind::<BigInt, _>(offset)
    .get_result::<Key>(&mut conn)
    .await?;
    let (_, pager) = query::CursorQuery::parse(&SPEC, &format!("limit={limit}"))?.apply(
        customers::base(args.tenant),
        &codec,
        "",
    )?;
    let cursor = pager.cursor_after(vec![
        query::KeyValue::to_json(&last.k),
        serde_json::Value::String(last.id),
    ]);
    let deep_url = format!("{base}/api/v1/customers?limit={limit}&cursor={cursor}");
    // Sanity check: the cursor is what walking would give (first row of page N = row offset+1).
    let expect_first = diesel::sql_query(
        "SELECT id FROM customers WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC OFFSET $2 LIMIT 1",
    )
    .bind::<SqlUuid, _>(args.tenant)
    .bind::<BigInt, _>(offset + 1)
    .get_result::<Id>(&mut conn)
    .await?
    .id;
    let check: serde_json::Value = client
        .get(&deep_url)
        .header("authorization", &bearer)
        .send()
        .await?
        .json()
        .await?;
    anyhow::ensure!(
        check["data"][0]["id"] == expect_first.as_str(),
        "deep page starts at the wrong row"
    );
    let deep = measure(&client, &deep_url, &bearer, args.samples, limit as usize).await?;

    println!();
    println!(
        "admin-api list latency — GET /api/v1/customers?limit={limit} (sort -created_at), {} customers,",
        args.customers
    );
    println!(
        "directly against the service (no gateway), sequential requests, {} samples each:",
        args.samples
    );
    for (name, h) in [("page 1", &page1), (&*format!("page {}", args.page), &deep)] {
        println!(
            "  {name:<11} p50 {:>7.2} ms   p95 {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
            ms(h, 0.5),
            ms(h, 0.95),
            ms(h, 0.99),
            h.max() as f64 / 1000.0
        );
    }
    println!(
        "  ratio page {} / page 1 (p50): {:.2}",
        args.page,
        ms(&deep, 0.5) / ms(&page1, 0.5)
    );

    // GET by id.
    // A 1 % sample of the table's pages; a small table (the smoke run's) may
    // have no sampled page, then its first ids do.
    let mut ids: Vec<String> = Vec::new();
    for sql in [
        "SELECT id FROM customers TABLESAMPLE SYSTEM (1) WHERE tenant_id = $1 LIMIT 5000",
        "SELECT id FROM customers WHERE tenant_id = $1 LIMIT 5000",
    ] {
        ids = diesel::sql_query(sql)
            .bind::<SqlUuid, _>(args.tenant)
            .load::<Id>(&mut conn)
            .await?
            .into_iter()
            .map(|r| r.id)
            .collect();
        if !ids.is_empty() {
            break;
        }
    }
    anyhow::ensure!(!ids.is_empty(), "no ids sampled");
    let ids = std::sync::Arc::new(ids);
    let direct = get_by_id(
        &client,
        &base,
        None,
        &bearer,
        &ids,
        args.seconds,
        args.concurrency,
    )
    .await?;
    println!();
    println!("GET /api/v1/customers/{{id}}:");
    print_run(
        "directly (in-process, 2 workers)",
        &direct,
        args.concurrency,
    );
    if let Some(gw) = &args.gateway_url {
        let key = args
            .gateway_key
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("--gateway-url needs BENCH_GATEWAY_KEY"))?;
        let gw_bearer = format!("Bearer {key}");
        // Sanity check (and warm the gateway's principal cache): the key's tenant owns the ids.
        let res = client
            .get(format!("{gw}/api/v1/customers/{}", ids[0]))
            .header("authorization", &gw_bearer)
            .header("host", &args.gateway_host)
            .send()
            .await?;
        let status = res.status();
        let body = res.text().await?;
        anyhow::ensure!(
            status == 200,
            "through the gateway: {status} {body} (is the key of tenant {}?)",
            args.tenant
        );
        let through = get_by_id(
            &client,
            gw,
            Some(&args.gateway_host),
            &gw_bearer,
            &ids,
            args.seconds,
            args.concurrency,
        )
        .await?;
        print_run(
            "through the gateway (auth + ratelimit)",
            &through,
            args.concurrency,
        );
        println!(
            "  ratio gateway / direct: {:.2} (requests/s); the gateway path adds p50 {:.2} ms",
            through.rps() / direct.rps(),
            ms(&through.hist, 0.5) - ms(&direct.hist, 0.5)
        );
    }
    println!(
        "(client and service share this machine's {} cores)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    Ok(())
}
