//! Rows of the generation database and the plain queries over them.

use crate::credits::Mode;
use diesel::{
    QueryableByName,
    sql_types::{
        BigInt, Bool, Integer, Jsonb, Nullable, SmallInt, Text, Timestamptz, Uuid as SqlUuid,
    },
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value;
use time::OffsetDateTime;
use uuid::Uuid;

/// The queue table of generation jobs (crates/jobs).
pub const JOBS_TABLE: &str = "jobs";
/// The queue table of webhook deliveries (the outbox).
pub const DELIVERIES_TABLE: &str = "webhook_deliveries";

#[derive(Debug, Clone, QueryableByName)]
pub struct JobRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub workspace_id: Uuid,
    #[diesel(sql_type = Text)]
    pub env: String,
    #[diesel(sql_type = Text)]
    pub r#type: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = SmallInt)]
    pub progress: i16,
    #[diesel(sql_type = Jsonb)]
    pub request: Value,
    #[diesel(sql_type = Text)]
    pub provider: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub provider_request_id: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub credits_estimated: i64,
    #[diesel(sql_type = BigInt)]
    pub credits_reserved: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub credits_charged: Option<i64>,
    #[diesel(sql_type = Jsonb)]
    pub outputs: Value,
    #[diesel(sql_type = Nullable<Text>)]
    pub error_code: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub error_message: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub webhook_url: Option<String>,
    #[diesel(sql_type = Bool)]
    pub cancel_requested: bool,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: OffsetDateTime,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub started_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub completed_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub result_expires_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub deadline_at: Option<OffsetDateTime>,
}

impl JobRow {
    pub fn mode(&self) -> Mode {
        Mode::parse(&self.env)
    }
}

pub const JOB_COLUMNS: &str = "id, workspace_id, env, type, status, progress, request, provider, \
    provider_request_id, credits_estimated, credits_reserved, credits_charged, outputs, error_code, \
    error_message, webhook_url, cancel_requested, attempts, created_at, started_at, completed_at, \
    result_expires_at, deadline_at";

/// A job to insert.
pub struct NewJob<'a> {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub mode: Mode,
    pub user_id: Option<&'a str>,
    pub key_id: &'a str,
    pub job_type: &'a str,
    pub request: &'a Value,
    pub provider: &'a str,
    pub credits_estimated: i64,
    pub credits_reserved: i64,
    pub webhook_url: Option<&'a str>,
    pub deadline_secs: i64,
    pub max_attempts: i32,
}

pub async fn insert_job(
    conn: &mut AsyncPgConnection,
    job: &NewJob<'_>,
) -> diesel::QueryResult<JobRow> {
    diesel::sql_query(format!(
        "INSERT INTO jobs (id, workspace_id, env, user_id, key_id, type, request, provider, \
         credits_estimated, credits_reserved, webhook_url, deadline_at, max_attempts) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, now() + make_interval(secs => $12::float8), $13) \
         RETURNING {JOB_COLUMNS}"
    ))
    .bind::<SqlUuid, _>(job.id)
    .bind::<SqlUuid, _>(job.workspace_id)
    .bind::<Text, _>(job.mode.as_str())
    .bind::<Nullable<Text>, _>(job.user_id)
    .bind::<Text, _>(job.key_id)
    .bind::<Text, _>(job.job_type)
    .bind::<Jsonb, _>(job.request)
    .bind::<Text, _>(job.provider)
    .bind::<BigInt, _>(job.credits_estimated)
    .bind::<BigInt, _>(job.credits_reserved)
    .bind::<Nullable<Text>, _>(job.webhook_url)
    .bind::<diesel::sql_types::Double, _>(job.deadline_secs as f64)
    .bind::<Integer, _>(job.max_attempts)
    .get_result(conn)
    .await
}

/// A job of the workspace in `mode` (jobs of the other mode are invisible).
pub async fn find_job(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    mode: Mode,
    id: Uuid,
) -> diesel::QueryResult<JobRow> {
    diesel::sql_query(format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1 AND workspace_id = $2 AND env = $3"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(workspace)
    .bind::<Text, _>(mode.as_str())
    .get_result(conn)
    .await
}

/// A job by id alone (the worker).
pub async fn job_by_id(conn: &mut AsyncPgConnection, id: Uuid) -> diesel::QueryResult<JobRow> {
    diesel::sql_query(format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"))
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .await
}

/// The filters of `GET /jobs` (whitelisted: each is a bound parameter of one static query).
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub status: Option<String>,
    pub job_type: Option<String>,
    pub created_after: Option<OffsetDateTime>,
    pub created_before: Option<OffsetDateTime>,
    /// Keyset: ids below this one (ids are UUIDv7, so id order is creation order).
    pub before_id: Option<Uuid>,
}

pub async fn list_jobs(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    mode: Mode,
    filter: &JobFilter,
    limit: i64,
) -> diesel::QueryResult<Vec<JobRow>> {
    diesel::sql_query(format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE workspace_id = $1 AND env = $2 \
         AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR type = $4) \
         AND ($5::timestamptz IS NULL OR created_at > $5) \
         AND ($6::timestamptz IS NULL OR created_at < $6) \
         AND ($7::uuid IS NULL OR id < $7) ORDER BY id DESC LIMIT $8"
    ))
    .bind::<SqlUuid, _>(workspace)
    .bind::<Text, _>(mode.as_str())
    .bind::<Nullable<Text>, _>(filter.status.as_deref())
    .bind::<Nullable<Text>, _>(filter.job_type.as_deref())
    .bind::<Nullable<Timestamptz>, _>(filter.created_after)
    .bind::<Nullable<Timestamptz>, _>(filter.created_before)
    .bind::<Nullable<SqlUuid>, _>(filter.before_id)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

#[derive(Debug, Clone, QueryableByName)]
pub struct BrandRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub voice: Option<String>,
    #[diesel(sql_type = Jsonb)]
    pub palette: Value,
    #[diesel(sql_type = Jsonb)]
    pub fonts: Value,
    #[diesel(sql_type = Nullable<Text>)]
    pub audience: Option<String>,
    #[diesel(sql_type = Jsonb)]
    pub do_list: Value,
    #[diesel(sql_type = Jsonb)]
    pub dont_list: Value,
    #[diesel(sql_type = Nullable<Text>)]
    pub logo_asset_id: Option<String>,
    #[diesel(sql_type = Bool)]
    pub is_current: bool,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: OffsetDateTime,
}

/// Never selects `internal_notes`: a profile leaves the database sanitized.
const BRAND_COLUMNS: &str = "id, name, voice, palette, fonts, audience, do_list, dont_list, \
    logo_asset_id, is_current, created_at";

pub async fn list_brands(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
) -> diesel::QueryResult<Vec<BrandRow>> {
    diesel::sql_query(format!(
        "SELECT {BRAND_COLUMNS} FROM brand_profiles WHERE workspace_id = $1 ORDER BY is_current DESC, id LIMIT 100"
    ))
    .bind::<SqlUuid, _>(workspace)
    .load(conn)
    .await
}

pub async fn current_brand(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
) -> diesel::QueryResult<BrandRow> {
    diesel::sql_query(format!(
        "SELECT {BRAND_COLUMNS} FROM brand_profiles WHERE workspace_id = $1 AND is_current"
    ))
    .bind::<SqlUuid, _>(workspace)
    .get_result(conn)
    .await
}

pub async fn find_brand(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    id: Uuid,
) -> diesel::QueryResult<BrandRow> {
    diesel::sql_query(format!(
        "SELECT {BRAND_COLUMNS} FROM brand_profiles WHERE workspace_id = $1 AND id = $2"
    ))
    .bind::<SqlUuid, _>(workspace)
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .await
}

#[derive(Debug, Clone, QueryableByName)]
pub struct AvatarRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub workspace_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub r#type: String,
    #[diesel(sql_type = Text)]
    pub gender: String,
    #[diesel(sql_type = Text)]
    pub style: String,
    #[diesel(sql_type = Text)]
    pub preview_color: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: OffsetDateTime,
}

const AVATAR_COLUMNS: &str =
    "id, workspace_id, name, type, gender, style, preview_color, created_at";

#[derive(Debug, Clone, Default)]
pub struct AvatarFilter {
    pub avatar_type: Option<String>,
    pub gender: Option<String>,
    pub style: Option<String>,
}

/// Public avatars plus the workspace's own.
pub async fn list_avatars(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    filter: &AvatarFilter,
) -> diesel::QueryResult<Vec<AvatarRow>> {
    diesel::sql_query(format!(
        "SELECT {AVATAR_COLUMNS} FROM avatars WHERE (workspace_id IS NULL OR workspace_id = $1) \
         AND ($2::text IS NULL OR type = $2) AND ($3::text IS NULL OR gender = $3) \
         AND ($4::text IS NULL OR style = $4) ORDER BY workspace_id NULLS FIRST, name, id LIMIT 100"
    ))
    .bind::<SqlUuid, _>(workspace)
    .bind::<Nullable<Text>, _>(filter.avatar_type.as_deref())
    .bind::<Nullable<Text>, _>(filter.gender.as_deref())
    .bind::<Nullable<Text>, _>(filter.style.as_deref())
    .load(conn)
    .await
}

pub async fn find_avatar(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    id: Uuid,
) -> diesel::QueryResult<AvatarRow> {
    diesel::sql_query(format!(
        "SELECT {AVATAR_COLUMNS} FROM avatars WHERE id = $2 AND (workspace_id IS NULL OR workspace_id = $1)"
    ))
    .bind::<SqlUuid, _>(workspace)
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .await
}
