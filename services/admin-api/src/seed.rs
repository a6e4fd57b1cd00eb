//! Demo data: `admin-api seed --tenant <uuid> [--customers 5000]`.
//!
//! Rows are generated inside PostgreSQL (`INSERT … SELECT … generate_series`),
//! one statement per table (5 000 customers: ~2 s; a million: a few minutes
//! on 2 cores, mostly index maintenance). Seeding
//! replaces the tenant's previous demo data (one transaction). The data hangs
//! together: customer aggregates (total_spent, orders_count, last_order_at,
//! lifecycle_stage) are computed from the generated orders; attributions and
//! touchpoints point at real orders and campaigns; enrollments at real customers.
//! Customers and orders are inserted in id order, so the primary key (and the
//! indexes whose other keys are constant at insert) grow at their right edge;
//! `ANALYZE` runs between steps so the joins over a million rows plan well.

use diesel::sql_types::{BigInt, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// The shop (tenant id of the admin API key).
    #[arg(long)]
    pub tenant: Uuid,
    #[arg(long, default_value_t = 5000)]
    pub customers: i64,
    /// Orders (default: 3 per customer, at most 200 000).
    #[arg(long)]
    pub orders: Option<i64>,
    #[arg(long, default_value_t = 200)]
    pub products: i64,
    #[arg(long, default_value_t = 40)]
    pub campaigns: i64,
    #[arg(long, default_value_t = 12)]
    pub journeys: i64,
    /// Enrollments per journey (at most the number of customers).
    #[arg(long, default_value_t = 300)]
    pub enrollments_per_journey: i64,
    #[arg(long, default_value_t = 60)]
    pub runs: i64,
    #[arg(long, default_value_t = 400)]
    pub keywords: i64,
    /// Also create the ids the seed document's examples use (`cus_abc123` with the
    /// aggregates and orders of the customer that has the most orders,
    /// `cam_abc123` as a launchable draft, `jrn_abc` with the enrollments of the journey
    /// that has the most active ones), cloned from
    /// generated rows, so the documented curls work verbatim (`make run` sets it).
    #[arg(long)]
    pub example_ids: bool,
}

impl SeedArgs {
    /// Defaults for `tenant` with `customers` customers (used by tests and benchmarks).
    pub fn new(tenant: Uuid, customers: i64) -> Self {
        Self {
            tenant,
            customers,
            orders: None,
            products: 200,
            campaigns: 40,
            journeys: 12,
            enrollments_per_journey: 300,
            runs: 60,
            keywords: 400,
            example_ids: false,
        }
    }
}

const FIRST_NAMES: &str = "ARRAY['Jane','John','Maria','Wei','Aisha','Lucas','Emma','Noah','Olivia','Liam','Sofia','Mateo','Yuki','Amir','Chloe','Ivan','Priya','Kofi','Elena','Omar']";
const LAST_NAMES: &str = "ARRAY['Smith','Garcia','Chen','Khan','Müller','Rossi','Dubois','Silva','Kowalski','Nguyen','Patel','Okafor','Johansson','Tanaka','Haddad','Novak','Brown','Lopez','Ivanova','Kim']";

fn id(prefix: &str, salt: &str) -> String {
    format!(
        "'{prefix}' || substr(md5(random()::text || {salt}::text || clock_timestamp()::text), 1, 24)"
    )
}

fn statements() -> Vec<(&'static str, String)> {
    let mut s: Vec<(&'static str, String)> = Vec::new();
    for table in [
        "touchpoints",
        "attributions",
        "enrollments",
        "journeys",
        "campaigns",
        "inventory_levels",
        "products",
        "orders",
        "customers",
        "audiences",
        "decision_runs",
        "seo_keywords",
    ] {
        s.push((
            "clear",
            format!("DELETE FROM {table} WHERE tenant_id = $1 AND $2::bigint IS NOT NULL"),
        ));
    }
    s.push(("audiences", format!(
        "INSERT INTO audiences (tenant_id, id, name, size, created_at) \
         SELECT $1, {}, name, 100 + (random() * LEAST($2::bigint, 20000))::int, now() - (g * interval '9 days') \
         FROM unnest(ARRAY['VIP customers','Lapsed 90 days','Newsletter subscribers','First-time buyers',\
         'High AOV','Cart abandoners','Wholesale','Local pickup']) WITH ORDINALITY AS t(name, g)",
        id("aud_", "g")
    )));
    s.push(("customers", format!(
        "INSERT INTO customers (tenant_id, id, email, first_name, last_name, phone, lifecycle_stage, tags, \
         accepts_marketing, currency, country, created_at, updated_at) \
         SELECT $1, {}, lower(fn) || '.' || lower(ln) || '.' || g || '@example.com', fn, ln, \
           '+1555' || lpad((g % 10000000)::text, 7, '0'), 'new', \
           CASE WHEN g % 7 = 0 THEN ARRAY['newsletter'] ELSE '{{}}'::text[] END, (g % 5) < 3, 'USD', \
           (ARRAY['US','US','US','CA','GB','DE','FR','AU'])[1 + g % 8], created, created \
         FROM (SELECT g, ({FIRST_NAMES})[1 + (g * 7) % 20] AS fn, ({LAST_NAMES})[1 + (g * 13) % 20] AS ln, \
           now() - ((g % 1000) * interval '1 day') - random() * interval '1 day' AS created \
           FROM generate_series(1, $2::bigint) g) s \
         ORDER BY 2",
        id("cus_", "g")
    )));
    s.push(("analyze", "ANALYZE audiences, customers".to_owned()));
    s.push(("products", format!(
        "INSERT INTO products (tenant_id, id, title, description, sku, status, price_cents, compare_at_price_cents, \
         currency, vendor, product_type, tags, created_at, updated_at) \
         SELECT $1, {}, adj || ' ' || noun || ' #' || g, 'A ' || lower(adj) || ' ' || lower(noun) || ' for every day.', \
           'SKU-' || lpad(g::text, 6, '0'), (ARRAY['active','active','active','draft','archived'])[1 + g % 5], \
           price, CASE WHEN g % 4 = 0 THEN price + 1000 END, 'USD', \
           (ARRAY['Northwind','Acme','Lumen','Fjord'])[1 + g % 4], noun, \
           CASE WHEN g % 3 = 0 THEN ARRAY['bestseller'] ELSE '{{}}'::text[] END, created, created \
         FROM (SELECT g, (ARRAY['Classic','Organic','Deluxe','Compact','Vintage','Eco'])[1 + g % 6] AS adj, \
           (ARRAY['Mug','T-Shirt','Backpack','Candle','Notebook','Sneakers','Lamp','Scarf'])[1 + (g * 3) % 8] AS noun, \
           (500 + (g * 7919) % 20000)::bigint AS price, now() - (g * interval '2 days') AS created \
           FROM generate_series(1, $2::bigint) g) s",
        id("prd_", "g")
    )));
    s.push(("inventory_levels", format!(
        "INSERT INTO inventory_levels (tenant_id, id, product_id, location, available, reserved, updated_at) \
         SELECT $1, {}, p.id, loc, (random() * 250)::int, (random() * 10)::int, now() - random() * interval '30 days' \
         FROM products p, unnest(ARRAY['main','warehouse-east']) loc WHERE p.tenant_id = $1 AND $2::bigint IS NOT NULL",
        id("inv_", "p.id")
    )));
    s.push(("orders", format!(
        "INSERT INTO orders (tenant_id, id, customer_id, order_number, status, currency, subtotal_cents, \
         discount_cents, shipping_cents, tax_cents, total_cents, items_count, source, placed_at, created_at) \
         SELECT $1, {}, c.id, 1000 + o.g, \
           (ARRAY['paid','fulfilled','fulfilled','fulfilled','fulfilled','refunded','cancelled','pending'])[1 + o.g % 8], \
           'USD', o.sub, o.disc, o.ship, (o.sub - o.disc) * 8 / 100, o.sub - o.disc + o.ship + (o.sub - o.disc) * 8 / 100, \
           o.items, (ARRAY['web','web','mobile','pos','marketplace'])[1 + o.g % 5], \
           c.created_at + random() * (now() - c.created_at), now() \
         FROM (SELECT g, 1 + floor(random() * (SELECT count(*) FROM customers WHERE tenant_id = $1))::bigint AS rn, \
                 sub, CASE WHEN g % 4 = 0 THEN sub / 10 ELSE 0 END AS disc, CASE WHEN sub > 7500 THEN 0 ELSE 599 END AS ship, \
                 1 + (g % 5)::int AS items \
               FROM (SELECT g, (1500 + random() * 28500)::bigint AS sub FROM generate_series(1, $2::bigint) g) x) o \
         JOIN (SELECT id, created_at, row_number() OVER (ORDER BY id) AS rn FROM customers WHERE tenant_id = $1) c \
           ON c.rn = o.rn \
         ORDER BY 2",
        id("ord_", "o.g")
    )));
    s.push((
        "analyze",
        "ANALYZE products, inventory_levels, orders".to_owned(),
    ));
    s.push(("customer aggregates", "UPDATE customers c SET total_spent_cents = a.total, orders_count = a.n, last_order_at = a.last, \
         lifecycle_stage = CASE WHEN a.last < now() - interval '365 days' THEN 'churned' \
           WHEN a.last < now() - interval '150 days' THEN 'at_risk' WHEN a.n >= 4 THEN 'loyal' \
           WHEN a.n >= 2 THEN 'active' ELSE 'new' END, \
         tags = c.tags || CASE WHEN a.total >= 60000 THEN ARRAY['vip'] ELSE '{}'::text[] END \
         FROM (SELECT customer_id, count(*)::int AS n, max(placed_at) AS last, \
                 COALESCE(sum(total_cents) FILTER (WHERE status NOT IN ('refunded','cancelled')), 0)::bigint AS total \
               FROM orders WHERE tenant_id = $1 GROUP BY customer_id) a \
         WHERE c.tenant_id = $1 AND c.id = a.customer_id AND $2::bigint IS NOT NULL".to_owned()));
    s.push(("campaigns", format!(
        "INSERT INTO campaigns (tenant_id, id, name, channel, status, audience_id, subject, scheduled_at, launched_at, \
         recipients_count, created_at, updated_at) \
         SELECT $1, {}, season || ' ' || theme || ' ' || (2026 - g % 2), (ARRAY['email','email','sms','push'])[1 + g % 4], st, \
           auds[1 + g % array_length(auds, 1)], CASE WHEN g % 4 < 2 THEN season || ' ' || lower(theme) || ' is here' END, \
           CASE WHEN st = 'scheduled' THEN now() + (g * interval '1 day') END, \
           CASE WHEN st IN ('active','completed') THEN now() - (g * interval '3 days') END, \
           CASE WHEN st IN ('active','completed') THEN 500 + g * 37 ELSE 0 END, now() - (g * interval '4 days'), now() - (g * interval '4 days') \
         FROM (SELECT g, (ARRAY['Spring','Summer','Autumn','Winter','Holiday'])[1 + g % 5] AS season, \
                 (ARRAY['Sale','Launch','Restock','Loyalty Rewards','Flash Deal'])[1 + (g * 3) % 5] AS theme, \
                 (ARRAY['draft','draft','scheduled','active','completed','cancelled'])[1 + g % 6] AS st \
               FROM generate_series(1, $2::bigint) g) x, \
              (SELECT array_agg(id ORDER BY id) AS auds FROM audiences WHERE tenant_id = $1) a",
        id("cam_", "g")
    )));
    s.push(("attributions", format!(
        "INSERT INTO attributions (tenant_id, id, order_id, customer_id, model, channel, campaign_id, revenue_cents, converted_at) \
         SELECT $1, {}, o.id, o.customer_id, (ARRAY['last_click','last_click','first_click','linear','time_decay'])[1 + (hashtext(o.id) & 1023) % 5], \
           ch, CASE WHEN ch IN ('email','sms') AND cams IS NOT NULL THEN cams[1 + (hashtext(o.id) & 1023) % array_length(cams, 1)] END, \
           o.total_cents, o.placed_at \
         FROM (SELECT o.*, (ARRAY['email','sms','paid_search','organic_search','social','direct','referral'])[1 + (hashtext(o.id) & 4095) % 7] AS ch \
               FROM orders o WHERE o.tenant_id = $1 AND o.status IN ('paid','fulfilled') AND (hashtext(o.id) & 7) < 5) o, \
              (SELECT array_agg(id ORDER BY id) AS cams FROM campaigns WHERE tenant_id = $1 AND $2::bigint IS NOT NULL) c",
        id("att_", "o.id")
    )));
    s.push(("analyze", "ANALYZE campaigns, attributions".to_owned()));
    s.push(("touchpoints", format!(
        "INSERT INTO touchpoints (tenant_id, id, attribution_id, position, channel, source, medium, campaign_id, credit, occurred_at) \
         SELECT $1, {}, a.id, p, tch, \
           CASE tch WHEN 'email' THEN 'newsletter' WHEN 'sms' THEN 'sms' WHEN 'paid_search' THEN 'google' \
             WHEN 'organic_search' THEN 'google' WHEN 'social' THEN 'instagram' WHEN 'referral' THEN 'partner-blog' ELSE '(direct)' END, \
           CASE tch WHEN 'email' THEN 'email' WHEN 'sms' THEN 'sms' WHEN 'paid_search' THEN 'cpc' \
             WHEN 'organic_search' THEN 'organic' WHEN 'social' THEN 'social' WHEN 'referral' THEN 'referral' ELSE '(none)' END, \
           CASE WHEN p = a.n THEN a.campaign_id END, \
           CASE a.model WHEN 'last_click' THEN (p = a.n)::int::float8 WHEN 'first_click' THEN (p = 1)::int::float8 \
             WHEN 'linear' THEN 1.0 / a.n ELSE p::float8 / (a.n * (a.n + 1) / 2) END, \
           a.converted_at - ((a.n - p) * interval '19 hours') - interval '5 minutes' \
         FROM (SELECT a.*, 1 + (hashtext(a.id) & 3) AS n FROM attributions a WHERE a.tenant_id = $1 AND $2::bigint IS NOT NULL) a, \
              generate_series(1, a.n) p, \
              LATERAL (SELECT CASE WHEN p = a.n THEN a.channel ELSE \
                (ARRAY['email','sms','paid_search','organic_search','social','direct','referral'])[1 + (hashtext(a.id || p) & 4095) % 7] END AS tch) t",
        id("tch_", "a.id || p")
    )));
    s.push(("journeys", format!(
        "INSERT INTO journeys (tenant_id, id, name, trigger, status, steps, created_at, updated_at) \
         SELECT $1, {}, name || CASE WHEN g > 5 THEN ' ' || g ELSE '' END, trig, (ARRAY['active','active','paused','draft','archived'])[1 + g % 5], \
           jsonb_build_array(jsonb_build_object('type','email','template', lower(replace(name, ' ', '_')) || '_1'), \
             jsonb_build_object('type','wait','delay_hours', 24 * (1 + g % 3)), \
             jsonb_build_object('type','email','template', lower(replace(name, ' ', '_')) || '_2')), \
           now() - (g * interval '11 days'), now() - (g * interval '5 days') \
         FROM (SELECT g, (ARRAY['Welcome series','Post-purchase','Abandoned cart','Win-back','Birthday'])[1 + (g - 1) % 5] AS name, \
                 (ARRAY['signup','first_order','abandoned_cart','winback','birthday'])[1 + (g - 1) % 5] AS trig \
               FROM generate_series(1, $2::bigint) g) x",
        id("jrn_", "g")
    )));
    s.push(("analyze", "ANALYZE journeys".to_owned()));
    s.push(("enrollments", format!(
        "INSERT INTO enrollments (tenant_id, id, journey_id, customer_id, status, current_step, enrolled_at, completed_at, exited_at) \
         SELECT $1, {}, e.journey_id, c.id, e.st, CASE e.st WHEN 'completed' THEN 3 ELSE (e.k % 3) END, e.at, \
           CASE WHEN e.st = 'completed' THEN e.at + interval '3 days' END, CASE WHEN e.st = 'exited' THEN e.at + interval '1 day' END \
         FROM (SELECT DISTINCT ON (j.id, rn) j.id AS journey_id, k, \
                 1 + ((hashtext(j.id || k) & 2147483647)::bigint % (SELECT count(*) FROM customers WHERE tenant_id = $1)) AS rn, \
                 (ARRAY['active','active','completed','exited'])[1 + k % 4] AS st, now() - (k * interval '2 hours') AS at \
               FROM journeys j, generate_series(1, LEAST($2::bigint, (SELECT count(*) FROM customers WHERE tenant_id = $1))) k \
               WHERE j.tenant_id = $1 AND j.status <> 'draft') e \
         JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM customers WHERE tenant_id = $1) c ON c.rn = e.rn",
        id("enr_", "e.k")
    )));
    s.push(("journey counts", "UPDATE journeys j SET enrollments_count = n FROM \
         (SELECT journey_id, count(*)::int AS n FROM enrollments WHERE tenant_id = $1 GROUP BY journey_id) e \
         WHERE j.tenant_id = $1 AND j.id = e.journey_id AND $2::bigint IS NOT NULL".to_owned()));
    s.push(("decision_runs", format!(
        "INSERT INTO decision_runs (tenant_id, id, kind, status, records_processed, summary, started_at, completed_at, created_at) \
         SELECT $1, {}, kind, st, CASE WHEN st = 'succeeded' THEN 1000 + g * 997 ELSE 0 END, \
           CASE WHEN st = 'succeeded' THEN jsonb_build_object('headline', CASE kind \
             WHEN 'churn_prediction' THEN (5 + g % 20) || '% of active customers at risk of churn' \
             WHEN 'next_best_action' THEN 'Offer free shipping to ' || (100 + g * 3) || ' hesitant buyers' \
             WHEN 'ltv_forecast' THEN 'Predicted 12-month LTV up ' || (g % 9) || '%' \
             ELSE 'Raise prices on ' || (3 + g % 7) || ' low-elasticity products' END, 'confidence', round((0.6 + (g % 40) / 100.0)::numeric, 2)) \
             WHEN st = 'failed' THEN jsonb_build_object('error', 'insufficient history') ELSE '{{}}'::jsonb END, \
           CASE WHEN st <> 'queued' THEN created + interval '1 minute' END, \
           CASE WHEN st IN ('succeeded','failed') THEN created + interval '14 minutes' END, created \
         FROM (SELECT g, (ARRAY['churn_prediction','next_best_action','ltv_forecast','price_optimization'])[1 + g % 4] AS kind, \
                 (ARRAY['succeeded','succeeded','succeeded','succeeded','failed','running','queued'])[1 + g % 7] AS st, \
                 now() - (g * interval '13 hours') AS created FROM generate_series(1, $2::bigint) g) x",
        id("run_", "g")
    )));
    s.push(("seo_keywords", format!(
        "INSERT INTO seo_keywords (tenant_id, id, keyword, url, country, device, position, previous_position, search_volume, \
         difficulty, clicks, impressions, tracked_at, created_at) \
         SELECT $1, {}, kw, 'https://shop.example.com/' || replace(kw, ' ', '-'), (ARRAY['US','GB','DE','CA'])[1 + g % 4], \
           (ARRAY['desktop','mobile'])[1 + g % 2], pos, CASE WHEN g % 5 <> 0 THEN GREATEST(1, pos + (g % 7) - 3) END, \
           vol, (g * 17) % 101, vol * GREATEST(0, 30 - pos) / 100, vol * GREATEST(1, 60 - pos) / 10, now() - (g % 24) * interval '1 hour', \
           now() - (g * interval '6 hours') \
         FROM (SELECT g, (ARRAY['organic','vintage','eco','best','cheap','handmade','luxury','minimal'])[1 + g % 8] || ' ' || \
                 (ARRAY['mug','t-shirt','backpack','candle','notebook','sneakers','lamp','scarf'])[1 + (g / 8) % 8] || \
                 CASE WHEN g >= 64 THEN ' ' || (ARRAY['online','sale','gift','uk','for men','for women','near me','2026'])[1 + (g / 64) % 8] || \
                   CASE WHEN g >= 512 THEN ' ' || g ELSE '' END ELSE '' END AS kw, \
                 1 + (g * 31) % 100 AS pos, 50 + (g * 7919) % 40000 AS vol FROM generate_series(1, $2::bigint) g) x",
        id("kw_", "g")
    )));
    s
}

/// Rows with the ids of the seed document's examples, each cloned from a generated
/// row of the same table (so every column stays consistent with the schema).
/// `$2` is unused; it is bound like in every statement.
const EXAMPLE_ID_STATEMENTS: &[&str] = &[
    "INSERT INTO customers SELECT r.* FROM (SELECT c FROM customers c WHERE c.tenant_id = $1 \
       AND $2::bigint IS NOT NULL ORDER BY (SELECT count(*) FROM orders o \
         WHERE o.tenant_id = $1 AND o.customer_id = c.id) DESC, c.id LIMIT 1) src, \
     LATERAL jsonb_populate_record(NULL::customers, to_jsonb(src.c) || jsonb_build_object( \
       'id', 'cus_abc123', 'email', 'jane@example.com', 'first_name', 'Jane', 'lifecycle_stage', 'loyal')) r",
    "INSERT INTO orders SELECT r.* FROM orders o, \
     LATERAL jsonb_populate_record(NULL::orders, to_jsonb(o) || jsonb_build_object( \
       'id', 'ord_abc' || substr(o.id, 5), 'customer_id', 'cus_abc123', 'order_number', o.order_number + 900000000)) r \
     WHERE o.tenant_id = $1 AND $2::bigint IS NOT NULL AND o.customer_id = \
       (SELECT customer_id FROM orders WHERE tenant_id = $1 AND customer_id <> 'cus_abc123' \
        GROUP BY customer_id ORDER BY count(*) DESC, customer_id LIMIT 1)",
    "INSERT INTO campaigns SELECT r.* FROM (SELECT c FROM campaigns c WHERE c.tenant_id = $1 \
       AND $2::bigint IS NOT NULL ORDER BY c.id LIMIT 1) src, \
     LATERAL jsonb_populate_record(NULL::campaigns, to_jsonb(src.c) || jsonb_build_object( \
       'id', 'cam_abc123', 'name', 'Spring Sale', 'status', 'draft', 'scheduled_at', NULL, 'launched_at', NULL)) r",
    "INSERT INTO journeys SELECT r.* FROM (SELECT j FROM journeys j WHERE j.tenant_id = $1 \
       AND $2::bigint IS NOT NULL ORDER BY j.id LIMIT 1) src, \
     LATERAL jsonb_populate_record(NULL::journeys, to_jsonb(src.j) || jsonb_build_object( \
       'id', 'jrn_abc', 'status', 'active')) r",
    "INSERT INTO enrollments SELECT r.* FROM enrollments e, \
     LATERAL jsonb_populate_record(NULL::enrollments, to_jsonb(e) || jsonb_build_object( \
       'id', 'enr_abc' || substr(e.id, 5), 'journey_id', 'jrn_abc')) r \
     WHERE e.tenant_id = $1 AND $2::bigint IS NOT NULL AND e.journey_id = \
       (SELECT journey_id FROM enrollments WHERE tenant_id = $1 AND status = 'active' \
        GROUP BY journey_id ORDER BY count(*) DESC, journey_id LIMIT 1)",
];

fn count_for(args: &SeedArgs, table: &str) -> i64 {
    match table {
        "customers" => args.customers,
        "orders" => args.orders.unwrap_or((args.customers * 3).min(200_000)),
        "products" => args.products,
        "campaigns" => args.campaigns,
        "journeys" => args.journeys,
        "enrollments" => args.enrollments_per_journey,
        "decision_runs" => args.runs,
        "seo_keywords" => args.keywords,
        "audiences" => args.customers,
        _ => 0,
    }
}

/// Seeds (replacing) the demo shop `args.tenant`; returns a one-line report.
pub async fn run(database_url: &str, args: &SeedArgs) -> anyhow::Result<String> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    seed(&mut conn, args).await
}

/// [`run`] on an open connection.
pub async fn seed(conn: &mut AsyncPgConnection, args: &SeedArgs) -> anyhow::Result<String> {
    let started = std::time::Instant::now();
    type Tm = <AsyncPgConnection as AsyncConnection>::TransactionManager;
    use diesel_async::TransactionManager;
    Tm::begin_transaction(conn).await?;
    let mut report = Vec::new();
    let mut all = statements();
    if args.example_ids {
        all.extend(
            EXAMPLE_ID_STATEMENTS
                .iter()
                .map(|sql| ("example_ids", (*sql).to_owned())),
        );
    }
    for (table, sql) in all {
        let n = count_for(args, table);
        let result = diesel::sql_query(&sql)
            .bind::<SqlUuid, _>(args.tenant)
            .bind::<BigInt, _>(n)
            .execute(conn)
            .await;
        match result {
            Ok(rows) => {
                if table != "clear" && table != "analyze" {
                    report.push(format!("{table}={rows}"));
                }
            }
            Err(e) => {
                let _ = Tm::rollback_transaction(conn).await;
                return Err(anyhow::anyhow!("seeding {table}: {e}"));
            }
        }
    }
    Tm::commit_transaction(conn).await?;
    diesel::sql_query("ANALYZE touchpoints, enrollments, decision_runs, seo_keywords")
        .execute(conn)
        .await?;
    Ok(format!(
        "seeded tenant {} in {:.1}s: {}",
        args.tenant,
        started.elapsed().as_secs_f64(),
        report.join(" ")
    ))
}
