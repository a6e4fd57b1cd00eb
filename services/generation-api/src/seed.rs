//! Demo data and operator actions (`generation-api seed|plan|grant|grant-monthly`).

use crate::credits;
use diesel::sql_types::{Jsonb, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

/// The public avatars every workspace sees (fixed ids, so seeding is idempotent).
const PUBLIC_AVATARS: [(&str, &str, &str, &str, &str); 6] = [
    (
        "0193a000-0000-7000-8000-000000000001",
        "Maya",
        "female",
        "casual",
        "#e07a5f",
    ),
    (
        "0193a000-0000-7000-8000-000000000002",
        "Leo",
        "male",
        "professional",
        "#3d405b",
    ),
    (
        "0193a000-0000-7000-8000-000000000003",
        "Sam",
        "neutral",
        "energetic",
        "#81b29a",
    ),
    (
        "0193a000-0000-7000-8000-000000000004",
        "Ava",
        "female",
        "professional",
        "#f2cc8f",
    ),
    (
        "0193a000-0000-7000-8000-000000000005",
        "Noah",
        "male",
        "casual",
        "#6d597a",
    ),
    (
        "0193a000-0000-7000-8000-000000000006",
        "Kai",
        "neutral",
        "calm",
        "#118ab2",
    ),
];

#[derive(Debug, clap::Args)]
pub struct SeedArgs {
    /// The workspace (auth tenant id).
    #[arg(long)]
    pub workspace: Uuid,
    #[arg(long, default_value = "Demo Workspace")]
    pub name: String,
    #[arg(long, default_value = "starter")]
    pub plan: String,
}

/// Public avatars, the workspace's plan, this month's grant, a current brand
/// profile and one workspace avatar. Safe to run again.
pub async fn run(database_url: &str, args: &SeedArgs) -> anyhow::Result<String> {
    let mut conn = AsyncPgConnection::establish(database_url).await?;
    seed_public_avatars(&mut conn).await?;
    credits::set_plan(&mut conn, args.workspace, &args.plan, Some(&args.name)).await?;
    let period = current_period();
    credits::grant_monthly(&mut conn, args.workspace, &period).await?;
    diesel::sql_query(
        "INSERT INTO brand_profiles (id, workspace_id, name, voice, palette, fonts, audience, do_list, \
         dont_list, logo_asset_id, internal_notes, is_current) \
         SELECT $1, $2, 'Glow Skincare', 'Warm, clear, science-backed; never clinical', $3, $4, \
         'Women 25-40 who want a simple routine', $5, $6, 'ast_logo_glow', \
         'internal: margin targets and agency contacts (never exposed)', true \
         WHERE NOT EXISTS (SELECT 1 FROM brand_profiles WHERE workspace_id = $2)",
    )
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<SqlUuid, _>(args.workspace)
    .bind::<Jsonb, _>(json!(["#F6EFE9", "#2F3E46", "#E07A5F"]))
    .bind::<Jsonb, _>(json!(["Inter", "Playfair Display"]))
    .bind::<Jsonb, _>(json!(["show real skin texture", "natural light", "one product per shot"]))
    .bind::<Jsonb, _>(json!(["before/after claims", "medical language", "heavy filters"]))
    .execute(&mut conn)
    .await?;
    diesel::sql_query(
        "INSERT INTO avatars (id, workspace_id, name, type, gender, style, preview_color) \
         SELECT $1, $2, 'Glow Founder', 'custom', 'female', 'professional', '#E07A5F' \
         WHERE NOT EXISTS (SELECT 1 FROM avatars WHERE workspace_id = $2)",
    )
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<SqlUuid, _>(args.workspace)
    .execute(&mut conn)
    .await?;
    let account = credits::account(&mut conn, args.workspace, credits::Mode::Live).await?;
    Ok(format!(
        "workspace {} seeded: plan {}, balance {}",
        args.workspace, account.plan, account.balance
    ))
}

pub async fn seed_public_avatars(conn: &mut AsyncPgConnection) -> diesel::QueryResult<()> {
    for (id, name, gender, style, color) in PUBLIC_AVATARS {
        diesel::sql_query(
            "INSERT INTO avatars (id, workspace_id, name, type, gender, style, preview_color) \
             VALUES ($1::uuid, NULL, $2, 'stock', $3, $4, $5) ON CONFLICT (id) DO NOTHING",
        )
        .bind::<Text, _>(id)
        .bind::<Text, _>(name)
        .bind::<Text, _>(gender)
        .bind::<Text, _>(style)
        .bind::<Text, _>(color)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// `YYYY-MM` of now (UTC): the period of monthly grants.
pub fn current_period() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!("{:04}-{:02}", now.year(), u8::from(now.month()))
}
