//! `bench-partner`: ingest throughput and list latency of partner-api against real PostgreSQL.
//!
//! Runs the service in-process (directly, not through the gateway) on a fresh
//! database, with internal JWTs signed by a key of its own, then:
//! 1. ingest: `--ingest-events` events in batches of `--batch` through
//!    `POST /sdk/ingest` from `--concurrency` clients → events/s;
//! 2. the same rows through a raw PostgreSQL `COPY events FROM STDIN` → rows/s;
//! 3. a large table: `--large-rows` events (90 % one project, the rest spread
//!    over 9 others, 60 days) inserted with `generate_series`, then
//!    `VACUUM ANALYZE`;
//! 4. list latency (p50/p99 over `--queries` requests each) for filters,
//!    with the `totalCount` returned and whether it was exact.
//!
//! With `--gateway-url` and `--gateway-project` (a project registered in the
//! auth service the gateway and its partner-api use), step 1 is repeated through
//! the gateway (`POST /sdk/ingest`, `Host: --gateway-host`, no bearer) with the
//! same batches and concurrency. With `--keep-database NAME` the database is
//! kept between runs and the large table is seeded only when it does not hold
//! `--large-rows` events yet (`deploy/bench/partner.sh` uses `platform_partner_bench`).

use auth_core::{
    Principal, Product,
    jwt::{InternalClaims, Jwks, JwtVerifier, SigningKey, now},
};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use partner_api::{Application, Config};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "bench-partner")]
struct Args {
    /// PostgreSQL server (any database name; the bench creates its own).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    pg: String,
    #[arg(long, default_value_t = 50_000)]
    ingest_events: usize,
    #[arg(long, default_value_t = 100)]
    batch: usize,
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    #[arg(long, default_value_t = 2_000_000)]
    large_rows: i64,
    #[arg(long, default_value_t = 100)]
    queries: usize,
    /// Time budget of one list case: sampling stops after `--queries` requests or
    /// this many seconds (at least 10 requests), so big tables stay bounded.
    #[arg(long, default_value_t = 10)]
    case_seconds: u64,
    /// Exact-count budget of the service under test (ms).
    #[arg(long, default_value_t = 1000)]
    count_timeout_ms: u64,
    /// Keep this database between runs (the large table is seeded once);
    /// default: a fresh database per run, dropped at the end.
    #[arg(long)]
    keep_database: Option<String>,
    /// Also measure ingest through this gateway (public listener base URL).
    #[arg(long)]
    gateway_url: Option<String>,
    /// Host header for the gateway's route table.
    #[arg(long, default_value = "partner.localhost")]
    gateway_host: String,
    /// Public id (`proj_…`) of a project known to the gateway's auth service.
    #[arg(long)]
    gateway_project: Option<String>,
}

/// Tenant id of the large table's project when the database is kept.
const KEPT_LARGE_TENANT: Uuid = Uuid::from_u128(0x0193_e7a0_0000_7000_8000_0000_0000_cccc);

struct Ingest {
    accepted: u64,
    secs: f64,
    hist: Histogram<u64>,
}

/// POST every body to `url` with `concurrency` requests in flight.
async fn ingest(
    http: &reqwest::Client,
    url: &str,
    host: Option<&str>,
    bodies: &[Value],
    concurrency: usize,
) -> anyhow::Result<Ingest> {
    let started = Instant::now();
    let mut hist = Histogram::<u64>::new(3)?;
    let mut accepted = 0u64;
    let mut stream = futures_util::stream::iter(bodies.iter().map(|body| {
        let mut req = http.post(url).json(body);
        if let Some(host) = host {
            req = req.header("host", host);
        }
        async move {
            let t = Instant::now();
            let res = req.send().await?;
            let status = res.status();
            let res: Value = res.json().await?;
            anyhow::ensure!(status == 200, "ingest: {status} {res}");
            Ok::<_, anyhow::Error>((t.elapsed(), res["accepted"].as_u64().unwrap_or(0)))
        }
    }))
    .buffer_unordered(concurrency);
    while let Some(r) = stream.next().await {
        let (lat, n) = r?;
        hist.record(lat.as_micros() as u64)?;
        accepted += n;
    }
    Ok(Ingest {
        accepted,
        secs: started.elapsed().as_secs_f64(),
        hist,
    })
}

fn event(i: usize, run: &str) -> Value {
    let names = ["page_view", "click", "purchase", "signup", "checkout"];
    let mut e = json!({
        "name": names[i % names.len()],
        "messageId": format!("{run}-{i}"),
        "sessionId": Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + (i / 20) as u128).to_string(),
        "externalUserId": format!("user_{}", i % 5000),
        "url": format!("https://app.example.com/p/{}", i % 100),
        "platform": "Linux",
        "browser": "Chrome",
        "payload": {"i": i, "page": format!("/p/{}", i % 100)},
    });
    if i.is_multiple_of(20) {
        e["orderId"] = json!(format!("ord_{i}"));
        e["totalAmount"] = json!(19.5);
        e["currency"] = json!("USD");
    }
    e
}

fn pct(h: &Histogram<u64>, q: f64) -> f64 {
    h.value_at_quantile(q) as f64 / 1000.0
}

async fn pg(url: &str) -> anyhow::Result<tokio_postgres::Client> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(client)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if let Some(name) = &args.keep_database {
        return run(&args, &db::with_database(&args.pg, name)?).await;
    }
    let db_name = format!("bench_partner_{}", std::process::id());
    let db_url = db::with_database(&args.pg, &db_name)?;
    let admin = pg(&db::with_database(&args.pg, "postgres")?).await?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"))
        .await?;
    let result = run(&args, &db_url).await;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"))
        .await?;
    result
}

async fn run(args: &Args, db_url: &str) -> anyhow::Result<()> {
    let key = SigningKey::generate("bench")?;
    let verifier = JwtVerifier::from_jwks(
        &Jwks {
            keys: vec![key.jwk()],
        },
        "partner-api",
    );
    let mut config = Config {
        listen: "127.0.0.1:0".into(),
        database: service_kit::config::DatabaseConfig {
            url: service_kit::config::SecretUrl::new(db_url),
            ..Default::default()
        },
        auth_grpc_url: "http://127.0.0.1:9".into(),
        ..Config::default()
    };
    config.query.count_timeout_ms = args.count_timeout_ms;
    let app = Application::build_with_verifier(config, verifier).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(64)
        .build()?;
    let principal = |public: &str, tenant: Uuid| Principal {
        tenant_id: tenant,
        product: Product::Partner,
        scopes: vec!["read".into()],
        tier: "enterprise".into(),
        key_id: "key_bench".into(),
        user_id: None,
        public_id: Some(public.to_owned()),
        env: "live".into(),
    };
    let bearer = |p: &Principal| -> anyhow::Result<String> {
        Ok(format!(
            "Bearer {}",
            key.sign(&InternalClaims::new(
                p,
                "partner-api",
                now(),
                Duration::from_secs(3600)
            ))?
        ))
    };

    println!(
        "partner-api benchmark (directly against the service, in-process; PostgreSQL 15, {} cores)",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );

    // ---- 1. ingest through HTTP -------------------------------------------------------------
    // A project of its own per run (a kept database never sees a public id twice), and a
    // run tag in the message ids, so nothing is a duplicate of an earlier run.
    let run_tag = format!(
        "r{}x{}",
        std::process::id(),
        time::OffsetDateTime::now_utc().unix_timestamp()
    );
    let ingest_public = format!("proj_benchingest{run_tag}");
    let ingest_p = principal(&ingest_public, Uuid::now_v7());
    http.get(format!("{base}/api/partner/health"))
        .header("authorization", bearer(&ingest_p)?)
        .send()
        .await?
        .error_for_status()?;
    let batches = args.ingest_events.div_ceil(args.batch);
    let bodies: Vec<Value> = (0..batches)
        .map(|b| {
            let events: Vec<Value> = (b * args.batch..((b + 1) * args.batch).min(args.ingest_events)).map(|i| event(i, &run_tag)).collect();
            json!({"projectId": ingest_public, "sentAt": partner_api::views::fmt_ts(time::OffsetDateTime::now_utc()), "events": events})
        })
        .collect();
    let direct = ingest(
        &http,
        &format!("{base}/sdk/ingest"),
        None,
        &bodies,
        args.concurrency,
    )
    .await?;
    println!(
        "ingest   : {} events in {batches} batches of {} ({} concurrent), directly: {:.0} events/s  (batch p50 {:.1} ms, p99 {:.1} ms)",
        direct.accepted,
        args.batch,
        args.concurrency,
        direct.accepted as f64 / direct.secs,
        pct(&direct.hist, 0.5),
        pct(&direct.hist, 0.99)
    );
    if let Some(gw) = &args.gateway_url {
        let project = args
            .gateway_project
            .as_deref()
            .ok_or_else(|| anyhow::anyhow!("--gateway-url needs --gateway-project"))?;
        let gw_bodies: Vec<Value> = bodies
            .iter()
            .map(|b| {
                let mut b = b.clone();
                b["projectId"] = json!(project);
                b
            })
            .collect();
        let through = ingest(
            &http,
            &format!("{gw}/sdk/ingest"),
            Some(&args.gateway_host),
            &gw_bodies,
            args.concurrency,
        )
        .await?;
        println!(
            "ingest   : {} events in {batches} batches of {} ({} concurrent), through the gateway: {:.0} events/s  (batch p50 {:.1} ms, p99 {:.1} ms; gateway/direct {:.2})",
            through.accepted,
            args.batch,
            args.concurrency,
            through.accepted as f64 / through.secs,
            pct(&through.hist, 0.5),
            pct(&through.hist, 0.99),
            (through.accepted as f64 / through.secs) / (direct.accepted as f64 / direct.secs)
        );
    }

    // ---- 2. the same rows through COPY ------------------------------------------------------
    let client = pg(db_url).await?;
    let copy_project = Uuid::now_v7();
    let now_ts = time::OffsetDateTime::now_utc();
    let mut buf = String::new();
    for b in &bodies {
        for e in b["events"].as_array().into_iter().flatten() {
            let opt = |v: &Value| {
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| "\\N".into())
            };
            let ts = partner_api::views::fmt_ts(now_ts);
            buf.push_str(&format!(
                "{copy_project}\t{}\t{ts}\t{ts}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\tsdk\t{}\t{}\t{}\t{}\n",
                Uuid::now_v7(),
                opt(&e["name"]),
                e["payload"],
                opt(&e["sessionId"]),
                opt(&e["externalUserId"]),
                opt(&e["url"]),
                opt(&e["platform"]),
                opt(&e["browser"]),
                opt(&e["messageId"]),
                opt(&e["orderId"]),
                e["totalAmount"]
                    .as_f64()
                    .map(|f| f.to_string())
                    .unwrap_or_else(|| "\\N".into()),
                opt(&e["currency"]),
            ));
        }
    }
    let started = Instant::now();
    let sink = client
        .copy_in(
            "COPY events (project_id, id, \"timestamp\", received_at, name, payload, session_id, external_user_id, \
             url, platform, browser, source, message_id, order_id, total_amount, currency) FROM STDIN",
        )
        .await?;
    futures_util::pin_mut!(sink);
    sink.send(bytes::Bytes::from(buf)).await?;
    let copied = sink.finish().await?;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "copy     : {copied} rows with raw COPY in one transaction: {:.0} rows/s (no validation, dedup or HTTP)",
        copied as f64 / secs
    );

    // ---- 3. a large table --------------------------------------------------------------------
    if args.keep_database.is_some() {
        // Keep the kept database small apart from the large table.
        client
            .execute(
                "DELETE FROM events WHERE project_id = ANY($1)",
                &[&vec![copy_project, ingest_p.tenant_id]],
            )
            .await?;
        if let Some(project) = &args.gateway_project {
            // The gateway's partner-api shares this database (its project came from auth).
            client
                .execute(
                    "DELETE FROM events WHERE project_id IN (SELECT tenant_id FROM projects WHERE public_id = $1)",
                    &[project],
                )
                .await?;
        }
        // Visibility map back to all-visible, so the counts stay index-only scans.
        client.batch_execute("VACUUM events").await?;
    }
    let big_tenant = if args.keep_database.is_some() {
        KEPT_LARGE_TENANT
    } else {
        Uuid::now_v7()
    };
    let big_p = principal("proj_benchlarge", big_tenant);
    http.get(format!("{base}/api/partner/health"))
        .header("authorization", bearer(&big_p)?)
        .send()
        .await?
        .error_for_status()?;
    let have: i64 = client
        .query_one(
            "SELECT count(*) FROM events WHERE project_id = $1",
            &[&big_p.tenant_id],
        )
        .await?
        .get(0);
    let expect = args.large_rows - args.large_rows / 10;
    if have == expect {
        println!(
            "seed     : reusing the kept table ({have} events in the measured project, {} in all; seeded when first kept, so the time filters see older data as it ages)",
            args.large_rows
        );
    } else {
        if have > 0 {
            println!(
                "seed     : the kept table holds {have} events of the project, not {expect}: reseeding"
            );
            client.batch_execute("TRUNCATE events").await?;
        }
        seed_large(&client, big_p.tenant_id, args.large_rows).await?;
    }

    // ---- 4. list latency ---------------------------------------------------------------------
    list_latency(args, &http, &base, &bearer(&big_p)?).await
}

/// Step 3: `rows` events, 90 % in `tenant`'s project, the rest over 9 others, 60 days.
async fn seed_large(
    client: &tokio_postgres::Client,
    tenant: Uuid,
    rows: i64,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let others: Vec<Uuid> = (0..9).map(|_| Uuid::now_v7()).collect();
    let chunk = 500_000i64;
    let mut from = 1i64;
    while from <= rows {
        let to = (from + chunk - 1).min(rows);
        client
            .execute(
                "INSERT INTO events (project_id, id, \"timestamp\", received_at, name, payload, session_id, \
                 external_user_id, url, platform, browser, source, order_id, total_amount, currency) \
                 SELECT CASE WHEN g % 10 = 0 THEN ($3::uuid[])[(g / 10) % 9 + 1] ELSE $1 END, gen_random_uuid(), \
                   now() - (g * interval '60 days' / $2::bigint), now(), \
                   (ARRAY['page_view','click','purchase','signup','checkout'])[g % 5 + 1], \
                   jsonb_build_object('i', g), \
                   ('00000000-0000-4000-8000-' || lpad(to_hex(g / 20), 12, '0'))::uuid, \
                   'user_' || (g % 50000), 'https://app.example.com/p/' || (g % 100), 'Linux', 'Chrome', \
                   CASE WHEN g % 7 = 0 THEN 'backend' ELSE 'sdk' END, \
                   CASE WHEN g % 50 = 1 THEN 'ord_' || g END, CASE WHEN g % 50 = 1 THEN (g % 1000)::numeric END, \
                   CASE WHEN g % 50 = 1 THEN 'USD' END \
                 FROM generate_series($4::bigint, $5::bigint) g",
                &[&tenant, &rows, &others, &from, &to],
            )
            .await?;
        from = to + 1;
    }
    client.batch_execute("VACUUM ANALYZE events").await?;
    println!(
        "seed     : {} rows (90% in one project, 60 days, 3 monthly partitions) in {:.1} s incl. VACUUM ANALYZE",
        rows,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Step 4: list latency per filter.
async fn list_latency(
    args: &Args,
    http: &reqwest::Client,
    base: &str,
    auth: &str,
) -> anyhow::Result<()> {
    let day_ago =
        partner_api::views::fmt_ts(time::OffsetDateTime::now_utc() - time::Duration::days(1));
    let week_ago =
        partner_api::views::fmt_ts(time::OffsetDateTime::now_utc() - time::Duration::days(7));
    let cases: Vec<(&str, String)> = vec![
        ("default (newest 50)", String::new()),
        (
            "timestamp >= 1 day ago",
            format!("q[timestamp__gte]={day_ago}"),
        ),
        ("name = purchase", "q[name__eq]=purchase".into()),
        (
            "name = purchase, last 7 days",
            format!("q[name__eq]=purchase&q[timestamp__gte]={week_ago}"),
        ),
        ("conversions (orderId__not=)", "q[orderId__not]=".into()),
        (
            "externalUserId = user_42",
            "q[externalUserId__eq]=user_42".into(),
        ),
        (
            "sessionId = …",
            "q[sessionId__eq]=00000000-0000-4000-8000-000000000100".into(),
        ),
        (
            "name like 'check' + 1 day",
            format!("q[name__like]=check&q[timestamp__gte]={day_ago}"),
        ),
        (
            "source = backend, asc order",
            "q[source__eq]=backend&q[timestamp__order]=asc".into(),
        ),
        ("totalAmount >= 500", "q[totalAmount__gte]=500".into()),
        ("page 100 (offset 4950)", "q[page]=100".into()),
    ];
    println!(
        "list     : GET /api/partner/events over {} rows, {} sequential requests per case or {} s (at least 10) (count budget {} ms)",
        args.large_rows, args.queries, args.case_seconds, args.count_timeout_ms
    );
    println!(
        "  {:<32} {:>9} {:>9} {:>12}",
        "filter", "p50 ms", "p99 ms", "totalCount"
    );
    let budget = Duration::from_secs(args.case_seconds);
    for (label, q) in cases {
        let mut h = Histogram::<u64>::new(3)?;
        let mut total = Value::Null;
        let mut estimated = false;
        let started = Instant::now();
        for n in 0..args.queries {
            if n >= 10 && started.elapsed() >= budget {
                break;
            }
            let t = Instant::now();
            let res = http
                .get(format!("{base}/api/partner/events?{q}"))
                .header("authorization", auth)
                .send()
                .await?
                .error_for_status()?;
            estimated = res.headers().contains_key("x-total-count-estimated");
            let body: Value = res.json().await?;
            h.record(t.elapsed().as_micros() as u64)?;
            total = body["totalCount"].clone();
        }
        println!(
            "  {:<32} {:>9.1} {:>9.1} {:>12} {}{}",
            label,
            pct(&h, 0.5),
            pct(&h, 0.99),
            total.to_string(),
            if estimated {
                "(estimate: exact count over budget)"
            } else {
                "(exact)"
            },
            if (h.len() as usize) < args.queries {
                format!(" [{} requests]", h.len())
            } else {
                String::new()
            }
        );
    }
    Ok(())
}
