//! `partner-api seed`: a demo project with sessions, events (conversions among
//! them) and logs from the last hour, written through the ingest path, so
//! `/api/partner/health` reports `healthy` right after seeding.

use crate::{
    AppState, Config,
    ingest::{self, Clock, IngestBody},
    models::projects::{self, Origin},
    views::fmt_ts,
};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// The partner seed document's example user; the demo data holds its session and events.
pub const EXAMPLE_USER: &str = "user_7e2a9c";

#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// The project's tenant id (as auth knows it).
    #[arg(long)]
    pub tenant: Uuid,
    /// The project's public id (`proj_…`).
    #[arg(long = "project-id")]
    pub project_id: String,
    #[arg(long, default_value_t = 24)]
    pub sessions: usize,
    #[arg(long, default_value_t = 240)]
    pub events: usize,
    #[arg(long, default_value_t = 80)]
    pub logs: usize,
}

const PAGES: [&str; 5] = ["/", "/pricing", "/product/42", "/cart", "/checkout"];
const CAMPAIGNS: [(&str, &str, &str); 3] = [
    ("google", "cpc", "spring-2026"),
    ("newsletter", "email", "black-friday"),
    ("twitter", "social", "launch"),
];
const BROWSERS: [(&str, &str); 3] = [
    ("Linux", "Chrome"),
    ("macOS", "Safari"),
    ("Windows", "Firefox"),
];

pub async fn run(config: Config, args: SeedArgs) -> anyhow::Result<String> {
    if !crate::projects::is_well_formed(&args.project_id) {
        anyhow::bail!("--project-id must look like proj_… (letters, digits, _)");
    }
    let pool = service_kit::database::open(&config.database, crate::MIGRATIONS).await?;
    let state = AppState::new(config, pool)?;
    state.maintain_partitions().await?;
    let mut conn = db::conn(&state.pool)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    projects::upsert(&mut conn, &args.project_id, args.tenant, Origin::Seed).await?;

    let now = OffsetDateTime::now_utc();
    let limits = state.config.ingest.clone();
    let (mut accepted, mut rejected) = (0, 0);
    let sessions: Vec<Uuid> = (0..args.sessions.max(1)).map(|_| Uuid::now_v7()).collect();
    for (s, session_id) in sessions.iter().enumerate() {
        // Spread sessions over the last 55 minutes; the newest starts about a minute ago.
        let start = now
            - Duration::seconds(60 + (55 * 60 * (sessions.len() - 1 - s) / sessions.len()) as i64);
        let (utm_source, utm_medium, utm_campaign) = CAMPAIGNS[s % CAMPAIGNS.len()];
        let (platform, browser) = BROWSERS[s % BROWSERS.len()];
        // The first session (which ends in a purchase) is the seed document's example user,
        // so its curls (`q[externalUserId__eq]=user_7e2a9c`) return rows as written.
        let user = if s == 0 {
            EXAMPLE_USER.to_owned()
        } else {
            format!("user_{:06x}", (s * 7919) % 0xffffff)
        };
        let per_session =
            args.events / sessions.len() + usize::from(s < args.events % sessions.len());
        let logs_per_session =
            args.logs / sessions.len() + usize::from(s < args.logs % sessions.len());
        let mut events = Vec::new();
        for e in 0..per_session {
            let t = start + Duration::seconds(5 * e as i64);
            let page = PAGES[e % PAGES.len()];
            let mut ev = json!({
                "name": if e + 1 == per_session && s % 2 == 0 { "purchase" } else if e % 3 == 0 { "page_view" } else { "click" },
                "messageId": format!("seed-{}-{s}-{e}", now.unix_timestamp()),
                "timestamp": fmt_ts(t),
                "sessionId": session_id.to_string(),
                "externalUserId": user,
                "url": format!("https://app.example.com{page}"),
                "platform": platform,
                "browser": browser,
                "payload": {"page": page, "_category": "navigation", "_surface": "web"},
            });
            if e + 1 == per_session && s % 2 == 0 {
                ev["orderId"] = json!(format!("ord_{:05}", s * 100 + e));
                ev["totalAmount"] = json!(19.9 + s as f64 * 10.0);
                ev["currency"] = json!("USD");
                ev["productId"] = json!("prod_42");
                ev["utmSource"] = json!(utm_source);
                ev["utmMedium"] = json!(utm_medium);
                ev["utmCampaign"] = json!(utm_campaign);
                ev["payload"] =
                    json!({"items": 1, "_category": "conversion", "_feature": "checkout"});
            }
            events.push(ev);
        }
        let logs: Vec<Value> = (0..logs_per_session)
            .map(|l| {
                let level = ["info", "debug", "warn", "error"][(s + l) % 4];
                json!({
                    "level": level,
                    "message": if level == "error" { "Checkout failed: invalid token".to_owned() } else { format!("rendered {}", PAGES[l % PAGES.len()]) },
                    "timestamp": fmt_ts(start + Duration::seconds(3 + 5 * l as i64)),
                    "sessionId": session_id.to_string(),
                    "url": format!("https://app.example.com{}", PAGES[l % PAGES.len()]),
                })
            })
            .collect();
        let body = IngestBody {
            project_id: args.project_id.clone(),
            events,
            logs,
            session: Some(json!({
                "id": session_id.to_string(),
                "deviceId": Uuid::new_v4().to_string(),
                "externalUserId": user,
                "platform": platform,
                "browser": browser,
                "utmSource": utm_source,
                "utmMedium": utm_medium,
                "utmCampaign": utm_campaign,
                "referrer": format!("https://{utm_source}.com/"),
                "landingPage": "https://app.example.com/",
                "startedAt": fmt_ts(start),
            })),
            sent_at: None,
            source: Some(if s % 5 == 4 { "backend" } else { "sdk" }.to_owned()),
        };
        let clock = Clock::new(now, None, limits.future_tolerance_seconds);
        let res = ingest::store(
            &mut conn,
            &state.partitions,
            args.tenant,
            body,
            clock,
            &limits,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        accepted += res.accepted;
        rejected += res.rejected;
    }
    Ok(format!(
        "seeded project {} (tenant {}): {accepted} items accepted, {rejected} rejected",
        args.project_id, args.tenant
    ))
}
