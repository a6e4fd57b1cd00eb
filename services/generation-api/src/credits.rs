//! The credits ledger and balances, shared by the API (reserve at create,
//! release at cancel) and the worker (capture on success, release on failure).
//!
//! Live mode: `credit_balances` holds `balance` and `reserved` per workspace;
//! every change appends a `credit_ledger` row in the same statement's
//! transaction (grant +balance, reserve +reserved, capture −balance −reserved,
//! release −reserved, refund +balance). Test mode (`sume_test_` keys) spends
//! nothing: its ledger rows are written with `env = 'test'` for the record and
//! never touch a balance.

use diesel::{
    QueryableByName,
    sql_types::{BigInt, Integer, Nullable, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

/// `live` or `test`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Live,
    Test,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Self {
        if s == "live" { Mode::Live } else { Mode::Test }
    }
}

pub const PLANS: [&str; 4] = ["free", "starter", "growth", "enterprise"];

#[derive(Debug, Clone, QueryableByName)]
pub struct Account {
    #[diesel(sql_type = Text)]
    pub plan: String,
    #[diesel(sql_type = BigInt)]
    pub monthly_credits: i64,
    #[diesel(sql_type = Integer)]
    pub max_concurrent_jobs: i32,
    #[diesel(sql_type = BigInt)]
    pub balance: i64,
    #[diesel(sql_type = BigInt)]
    pub reserved: i64,
    #[diesel(sql_type = BigInt)]
    pub active_jobs: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub name: Option<String>,
}

impl Account {
    pub fn available(&self) -> i64 {
        self.balance - self.reserved
    }
}

/// Creates the workspace (plan `free`, no credits) and its balance rows when missing.
pub async fn ensure_workspace(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
) -> diesel::QueryResult<()> {
    diesel::sql_query("INSERT INTO workspaces (id) VALUES ($1) ON CONFLICT (id) DO NOTHING")
        .bind::<SqlUuid, _>(workspace)
        .execute(conn)
        .await?;
    diesel::sql_query(
        "INSERT INTO credit_balances (workspace_id, env) VALUES ($1, 'live'), ($1, 'test') \
         ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(workspace)
    .execute(conn)
    .await
    .map(|_| ())
}

const ACCOUNT_SQL: &str = "SELECT w.plan, p.monthly_credits, p.max_concurrent_jobs, w.name, \
     b.balance, b.reserved, \
     (SELECT count(*) FROM jobs j WHERE j.workspace_id = w.id AND j.env = $2 \
        AND j.status IN ('queued', 'processing')) AS active_jobs \
     FROM workspaces w JOIN plans p ON p.name = w.plan \
     JOIN credit_balances b ON b.workspace_id = w.id AND b.env = 'live' WHERE w.id = $1";

/// The workspace's plan, live balance and the active jobs of `mode`.
pub async fn account(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    mode: Mode,
) -> diesel::QueryResult<Account> {
    ensure_workspace(conn, workspace).await?;
    diesel::sql_query(ACCOUNT_SQL)
        .bind::<SqlUuid, _>(workspace)
        .bind::<Text, _>(mode.as_str())
        .get_result(conn)
        .await
}

/// Like [`account`], holding the workspace row lock until the transaction ends:
/// creates of one workspace are serialised here, so the capacity and balance
/// checks that follow cannot race.
pub async fn lock_account(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    mode: Mode,
) -> diesel::QueryResult<Account> {
    ensure_workspace(conn, workspace).await?;
    diesel::sql_query("SELECT 1 FROM workspaces WHERE id = $1 FOR UPDATE")
        .bind::<SqlUuid, _>(workspace)
        .execute(conn)
        .await?;
    diesel::sql_query(ACCOUNT_SQL)
        .bind::<SqlUuid, _>(workspace)
        .bind::<Text, _>(mode.as_str())
        .get_result(conn)
        .await
}

/// One ledger row.
struct Entry<'a> {
    workspace: Uuid,
    mode: Mode,
    kind: &'a str,
    amount: i64,
    job: Option<Uuid>,
    period: Option<&'a str>,
    note: Option<&'a str>,
}

impl<'a> Entry<'a> {
    fn new(workspace: Uuid, mode: Mode, kind: &'a str, amount: i64) -> Self {
        Self {
            workspace,
            mode,
            kind,
            amount,
            job: None,
            period: None,
            note: None,
        }
    }

    fn job(self, job: Uuid) -> Self {
        Self {
            job: Some(job),
            ..self
        }
    }
}

/// Appends `entry`; 0 when a unique index (the monthly grant's period) already holds it.
async fn append(conn: &mut AsyncPgConnection, entry: Entry<'_>) -> diesel::QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO credit_ledger (workspace_id, env, kind, amount, job_id, period, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind::<SqlUuid, _>(entry.workspace)
    .bind::<Text, _>(entry.mode.as_str())
    .bind::<Text, _>(entry.kind)
    .bind::<BigInt, _>(entry.amount)
    .bind::<Nullable<SqlUuid>, _>(entry.job)
    .bind::<Nullable<Text>, _>(entry.period)
    .bind::<Nullable<Text>, _>(entry.note)
    .execute(conn)
    .await
}

async fn adjust(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    balance: i64,
    reserved: i64,
) -> diesel::QueryResult<()> {
    diesel::sql_query(
        "UPDATE credit_balances SET balance = balance + $2, reserved = reserved + $3 \
         WHERE workspace_id = $1 AND env = 'live'",
    )
    .bind::<SqlUuid, _>(workspace)
    .bind::<BigInt, _>(balance)
    .bind::<BigInt, _>(reserved)
    .execute(conn)
    .await
    .map(|_| ())
}

/// Grants `amount` live credits (operator action).
pub async fn grant(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    amount: i64,
    note: &str,
) -> diesel::QueryResult<()> {
    ensure_workspace(conn, workspace).await?;
    append(
        conn,
        Entry {
            note: Some(note),
            ..Entry::new(workspace, Mode::Live, "grant", amount)
        },
    )
    .await?;
    adjust(conn, workspace, amount, 0).await
}

/// Grants the plan's monthly credits for `period` (`YYYY-MM`) once; `true` when granted now.
pub async fn grant_monthly(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    period: &str,
) -> diesel::QueryResult<bool> {
    let acct = account(conn, workspace, Mode::Live).await?;
    let inserted = append(
        conn,
        Entry {
            period: Some(period),
            note: Some("monthly plan grant"),
            ..Entry::new(workspace, Mode::Live, "grant", acct.monthly_credits)
        },
    )
    .await?;
    if inserted == 1 {
        adjust(conn, workspace, acct.monthly_credits, 0).await?;
    }
    Ok(inserted == 1)
}

/// Sets the workspace's plan (and its display name when given).
pub async fn set_plan(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    plan: &str,
    name: Option<&str>,
) -> diesel::QueryResult<()> {
    ensure_workspace(conn, workspace).await?;
    diesel::sql_query("UPDATE workspaces SET plan = $2, name = coalesce($3, name) WHERE id = $1")
        .bind::<SqlUuid, _>(workspace)
        .bind::<Text, _>(plan)
        .bind::<Nullable<Text>, _>(name)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Holds `amount` for `job` (the caller has checked availability under [`lock_account`]).
pub async fn reserve(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    mode: Mode,
    job: Uuid,
    amount: i64,
) -> diesel::QueryResult<()> {
    append(
        conn,
        Entry::new(workspace, mode, "reserve", amount).job(job),
    )
    .await?;
    if mode == Mode::Live {
        adjust(conn, workspace, 0, amount).await?;
    }
    Ok(())
}

/// Charges `charged` (≤ `reserved`) of a job's hold and releases the rest.
pub async fn capture(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    mode: Mode,
    job: Uuid,
    reserved: i64,
    charged: i64,
) -> diesel::QueryResult<()> {
    let charged = charged.clamp(0, reserved);
    append(
        conn,
        Entry::new(workspace, mode, "capture", charged).job(job),
    )
    .await?;
    if reserved > charged {
        append(
            conn,
            Entry::new(workspace, mode, "release", reserved - charged).job(job),
        )
        .await?;
    }
    if mode == Mode::Live {
        adjust(conn, workspace, -charged, -reserved).await?;
    }
    Ok(())
}

/// Releases a job's whole hold (failure, cancel, deadline).
pub async fn release(
    conn: &mut AsyncPgConnection,
    workspace: Uuid,
    mode: Mode,
    job: Uuid,
    reserved: i64,
) -> diesel::QueryResult<()> {
    append(
        conn,
        Entry::new(workspace, mode, "release", reserved).job(job),
    )
    .await?;
    if mode == Mode::Live {
        adjust(conn, workspace, 0, -reserved).await?;
    }
    Ok(())
}
