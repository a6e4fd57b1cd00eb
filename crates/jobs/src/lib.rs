//! A PostgreSQL job queue whose entries are rows of the owner's own table.
//!
//! The crate knows no service table. A [`Queue`] is given a table name
//! ([`QueueConfig::table`]) and relies only on the queue columns listed in
//! [`QUEUE_COLUMNS_SQL`], which the owner adds to its table in its own
//! migration (the generation `jobs` row *is* its queue entry, so a job's status
//! and its place in the queue can never disagree). Everything else in the row
//! belongs to the owner.
//!
//! Life of an entry (`status` is one of [`Status`]):
//!
//! ```text
//! queued ──claim──► processing ──complete──► succeeded
//!   ▲  ▲               │ │ │ └──fail────────► failed
//!   │  └──retry/reap───┘ │ └────cancel──────► canceled (only after cancel_requested)
//!   └────────────────────┘
//! queued ──cancel──► canceled; queued|processing past deadline_at ──reap──► failed (deadline_exceeded)
//! ```
//!
//! - [`Queue::claim`] takes due rows with `FOR UPDATE SKIP LOCKED`, bumps
//!   `attempts` and sets a lease (`lease_owner`, `lease_expires_at`). The pair
//!   (owner, attempt) is the [`Lease`]: every later write of the worker is
//!   conditional on it, so a worker whose lease was reaped (it stalled, or was
//!   killed and its job re-run elsewhere) can never complete the job a second time.
//! - [`Queue::heartbeat`] extends the lease and reports a cancel request or a lost lease.
//! - [`Queue::finish`] / [`Queue::retry`] end an attempt. They are single
//!   statements on the caller's connection, so the owner runs them in its own
//!   transaction together with its side effects (credits captured exactly when
//!   the job succeeds).
//! - [`Queue::reap`] re-queues expired leases, fails entries that used their
//!   attempts or passed their deadline, and calls the owner's hook for each
//!   failure inside the same transaction (the generation service releases the
//!   job's credits there).
//! - [`Queue::notify`] / [`Listener`]: wake-ups by `LISTEN/NOTIFY`; workers also
//!   poll, so a lost notification only delays a job by one poll interval.

use diesel::{
    QueryableByName,
    sql_types::{BigInt, Bool, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid},
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, TransactionManager};
use futures_util::{StreamExt, future::BoxFuture};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

/// The columns a queue table must have (add them to the table in the owner's migration).
pub const QUEUE_COLUMNS_SQL: &str = include_str!("../queue_columns.sql");

/// The closed set of entry states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Queued,
    Processing,
    Succeeded,
    Failed,
    Canceled,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Queued,
        Status::Processing,
        Status::Succeeded,
        Status::Failed,
        Status::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Processing => "processing",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// `succeeded`, `failed` or `canceled`: nothing changes it any more.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Succeeded | Status::Failed | Status::Canceled)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("table name {0:?} must be [a-z_][a-z0-9_]*")]
    BadTable(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error(transparent)]
    Connect(#[from] diesel::ConnectionError),
    #[error("the listening connection closed")]
    ListenerClosed,
}

/// How a queue behaves.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// The owner's table holding the queue columns.
    pub table: String,
    /// `NOTIFY` channel (defaults to `<table>_queue`).
    pub channel: Option<String>,
    /// How long a claim is valid without a heartbeat.
    pub lease: Duration,
    /// First retry delay; doubles per attempt up to [`Self::max_backoff`].
    pub base_backoff: Duration,
    pub max_backoff: Duration,
}

impl QueueConfig {
    pub fn new(table: impl Into<String>) -> Self {
        Self {
            table: table.into(),
            channel: None,
            lease: Duration::from_secs(30),
            base_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(300),
        }
    }
}

/// The lease of one claimed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub id: Uuid,
    pub owner: String,
    pub attempt: i32,
}

/// A claimed entry.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub lease: Lease,
    pub max_attempts: i32,
    pub deadline_at: Option<OffsetDateTime>,
}

/// What a heartbeat learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Beat {
    /// Lease extended; keep going.
    Alive,
    /// Lease extended, but the owner asked to cancel: stop and finish as canceled.
    CancelRequested,
    /// The lease is gone (reaped, deadline passed, canceled): stop without writing.
    Lost,
}

/// How an attempt ended.
#[derive(Debug, Clone)]
pub enum Outcome<'a> {
    Succeeded,
    Failed { code: &'a str, message: &'a str },
    Canceled,
}

/// What [`Queue::retry`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retried {
    /// Back in the queue, due after the backoff.
    Requeued,
    /// No attempts left: failed.
    Failed,
    /// The lease was no longer ours: nothing written.
    Lost,
}

/// What [`Queue::cancel`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancel {
    /// A queued entry, now canceled.
    Canceled,
    /// A processing entry: the worker sees the request at its next heartbeat.
    Requested,
    /// Already final (or unknown): nothing changed.
    NotCancelable,
}

/// An entry the reaper failed (the owner's hook receives it inside the reaper's transaction).
#[derive(Debug, Clone)]
pub struct ReapedFailure {
    pub id: Uuid,
    /// `deadline_exceeded` or `attempts_exhausted`.
    pub code: &'static str,
}

/// What one [`Queue::reap`] pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reaped {
    pub requeued: usize,
    pub failed: usize,
}

/// The hook the reaper calls for each entry it fails, on the reaper's transaction.
pub type FailHook<'h> = dyn for<'c> Fn(&'c mut AsyncPgConnection, ReapedFailure) -> BoxFuture<'c, diesel::QueryResult<()>>
    + Send
    + Sync
    + 'h;

/// A queue over one table.
#[derive(Debug, Clone)]
pub struct Queue {
    config: QueueConfig,
    channel: String,
    sql: Statements,
}

#[derive(Debug, Clone)]
struct Statements {
    claim: String,
    heartbeat: String,
    finish: String,
    retry: String,
    cancel: String,
    expired: String,
    requeue: String,
    fail_reaped: String,
    stats: String,
}

fn is_identifier(s: &str) -> bool {
    let mut bytes = s.bytes();
    matches!(bytes.next(), Some(b) if b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && s.len() <= 63
}

/// What the queue's metrics show: entries waiting (`queued`, due or in
/// backoff) and how long the oldest *due* one has waited since its `run_at`.
#[derive(Debug, Clone, Copy, PartialEq, QueryableByName)]
pub struct QueueStats {
    #[diesel(sql_type = BigInt)]
    pub queued: i64,
    #[diesel(sql_type = diesel::sql_types::Double)]
    pub oldest_queued_age_seconds: f64,
}

#[derive(QueryableByName)]
struct ClaimRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Integer)]
    max_attempts: i32,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    deadline_at: Option<OffsetDateTime>,
}

#[derive(QueryableByName)]
struct BeatRow {
    #[diesel(sql_type = Bool)]
    cancel_requested: bool,
}

#[derive(QueryableByName)]
struct StatusRow {
    #[diesel(sql_type = Text)]
    status: String,
}

#[derive(QueryableByName)]
struct ExpiredRow {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Bool)]
    past_deadline: bool,
    #[diesel(sql_type = Bool)]
    exhausted: bool,
}

type Tm = <AsyncPgConnection as AsyncConnection>::TransactionManager;

impl Queue {
    pub fn new(config: QueueConfig) -> Result<Self, QueueError> {
        let t = config.table.clone();
        if !is_identifier(&t) {
            return Err(QueueError::BadTable(t));
        }
        let channel = config
            .channel
            .clone()
            .unwrap_or_else(|| format!("{t}_queue"));
        if !is_identifier(&channel) {
            return Err(QueueError::BadTable(channel));
        }
        let lease_off = "lease_owner = NULL, lease_expires_at = NULL";
        let owned = "id = $1 AND lease_owner = $2 AND attempts = $3 AND status = 'processing'";
        let sql = Statements {
            claim: format!(
                "WITH due AS (SELECT id FROM {t} WHERE status = 'queued' AND run_at <= now() \
                 AND (deadline_at IS NULL OR deadline_at > now()) ORDER BY run_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) \
                 UPDATE {t} q SET status = 'processing', attempts = q.attempts + 1, \
                 lease_owner = $2, lease_expires_at = now() + make_interval(secs => $3::float8), \
                 started_at = coalesce(q.started_at, now()) \
                 FROM due WHERE q.id = due.id \
                 RETURNING q.id, q.attempts, q.max_attempts, q.deadline_at"
            ),
            heartbeat: format!(
                "UPDATE {t} SET lease_expires_at = now() + make_interval(secs => $4::float8) \
                 WHERE {owned} AND (deadline_at IS NULL OR deadline_at > now()) \
                 RETURNING cancel_requested"
            ),
            finish: format!(
                "UPDATE {t} SET status = $4, error_code = $5, error_message = $6, \
                 completed_at = now(), {lease_off} WHERE {owned} RETURNING status"
            ),
            retry: format!(
                "UPDATE {t} SET \
                 status = CASE WHEN attempts < max_attempts AND NOT cancel_requested \
                   AND (deadline_at IS NULL OR deadline_at > now()) THEN 'queued' ELSE 'failed' END, \
                 run_at = now() + make_interval(secs => $4::float8), \
                 error_code = $5, error_message = $6, \
                 completed_at = CASE WHEN attempts < max_attempts AND NOT cancel_requested \
                   AND (deadline_at IS NULL OR deadline_at > now()) THEN NULL ELSE now() END, \
                 {lease_off} WHERE {owned} RETURNING status"
            ),
            cancel: format!(
                "UPDATE {t} SET \
                 status = CASE WHEN status = 'queued' THEN 'canceled' ELSE status END, \
                 completed_at = CASE WHEN status = 'queued' THEN now() ELSE completed_at END, \
                 cancel_requested = true \
                 WHERE id = $1 AND status IN ('queued', 'processing') RETURNING status"
            ),
            expired: format!(
                "SELECT id, coalesce(deadline_at <= now(), false) AS past_deadline, \
                 attempts >= max_attempts AS exhausted FROM {t} \
                 WHERE (status = 'processing' AND lease_expires_at < now()) \
                    OR (status IN ('queued', 'processing') AND deadline_at <= now()) \
                 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"
            ),
            requeue: format!(
                "UPDATE {t} SET status = 'queued', run_at = now(), {lease_off} WHERE id = $1"
            ),
            fail_reaped: format!(
                "UPDATE {t} SET status = 'failed', error_code = $2, error_message = $3, \
                 completed_at = now(), {lease_off} WHERE id = $1"
            ),
            stats: format!(
                "SELECT count(*) AS queued, coalesce(extract(epoch FROM now() - \
                 min(run_at) FILTER (WHERE run_at <= now())), 0)::float8 AS oldest_queued_age_seconds \
                 FROM {t} WHERE status = 'queued'"
            ),
        };
        Ok(Self {
            config,
            channel,
            sql,
        })
    }

    pub fn config(&self) -> &QueueConfig {
        &self.config
    }

    /// Depth and the oldest due entry's wait (one aggregate query, for metrics).
    pub async fn stats(&self, conn: &mut AsyncPgConnection) -> diesel::QueryResult<QueueStats> {
        diesel::sql_query(&self.sql.stats).get_result(conn).await
    }

    pub fn channel(&self) -> &str {
        &self.channel
    }

    fn lease_secs(&self) -> f64 {
        self.config.lease.as_secs_f64()
    }

    /// Claims up to `batch` due entries for `owner`.
    pub async fn claim(
        &self,
        conn: &mut AsyncPgConnection,
        owner: &str,
        batch: i64,
    ) -> diesel::QueryResult<Vec<Claimed>> {
        let rows: Vec<ClaimRow> = diesel::sql_query(&self.sql.claim)
            .bind::<BigInt, _>(batch)
            .bind::<Text, _>(owner)
            .bind::<diesel::sql_types::Double, _>(self.lease_secs())
            .load(conn)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Claimed {
                lease: Lease {
                    id: r.id,
                    owner: owner.to_owned(),
                    attempt: r.attempts,
                },
                max_attempts: r.max_attempts,
                deadline_at: r.deadline_at,
            })
            .collect())
    }

    /// Extends the lease (unless the deadline has passed).
    pub async fn heartbeat(
        &self,
        conn: &mut AsyncPgConnection,
        lease: &Lease,
    ) -> diesel::QueryResult<Beat> {
        let row: Option<BeatRow> = diesel::sql_query(&self.sql.heartbeat)
            .bind::<SqlUuid, _>(lease.id)
            .bind::<Text, _>(&lease.owner)
            .bind::<Integer, _>(lease.attempt)
            .bind::<diesel::sql_types::Double, _>(self.lease_secs())
            .get_result(conn)
            .await
            .map(Some)
            .or_else(not_found_as_none)?;
        Ok(match row {
            None => Beat::Lost,
            Some(r) if r.cancel_requested => Beat::CancelRequested,
            Some(_) => Beat::Alive,
        })
    }

    /// Ends the attempt with `outcome`. `false` when the lease was no longer ours
    /// (nothing written: the caller must not apply its side effects either).
    pub async fn finish(
        &self,
        conn: &mut AsyncPgConnection,
        lease: &Lease,
        outcome: Outcome<'_>,
    ) -> diesel::QueryResult<bool> {
        let (status, code, message) = match outcome {
            Outcome::Succeeded => (Status::Succeeded, None, None),
            Outcome::Failed { code, message } => (Status::Failed, Some(code), Some(message)),
            Outcome::Canceled => (
                Status::Canceled,
                Some("canceled"),
                Some("the job was canceled"),
            ),
        };
        let row: Option<StatusRow> = diesel::sql_query(&self.sql.finish)
            .bind::<SqlUuid, _>(lease.id)
            .bind::<Text, _>(&lease.owner)
            .bind::<Integer, _>(lease.attempt)
            .bind::<Text, _>(status.as_str())
            .bind::<Nullable<Text>, _>(code)
            .bind::<Nullable<Text>, _>(message)
            .get_result(conn)
            .await
            .map(Some)
            .or_else(not_found_as_none)?;
        Ok(row.is_some())
    }

    /// The delay before attempt `attempt + 1`: base × 2^(attempt-1), capped.
    pub fn backoff(&self, attempt: i32) -> Duration {
        let exp = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(20);
        self.config
            .base_backoff
            .saturating_mul(1u32 << exp)
            .min(self.config.max_backoff)
    }

    /// Ends a failed attempt that may be retried: back to `queued` after the
    /// backoff, or `failed` (with `code`/`message`) when no attempt, time or
    /// will (a cancel request) is left.
    pub async fn retry(
        &self,
        conn: &mut AsyncPgConnection,
        lease: &Lease,
        code: &str,
        message: &str,
    ) -> diesel::QueryResult<Retried> {
        let row: Option<StatusRow> = diesel::sql_query(&self.sql.retry)
            .bind::<SqlUuid, _>(lease.id)
            .bind::<Text, _>(&lease.owner)
            .bind::<Integer, _>(lease.attempt)
            .bind::<diesel::sql_types::Double, _>(self.backoff(lease.attempt).as_secs_f64())
            .bind::<Text, _>(code)
            .bind::<Text, _>(message)
            .get_result(conn)
            .await
            .map(Some)
            .or_else(not_found_as_none)?;
        Ok(match row.as_ref().map(|r| r.status.as_str()) {
            None => Retried::Lost,
            Some("queued") => Retried::Requeued,
            Some(_) => Retried::Failed,
        })
    }

    /// Cancels a queued entry at once, or flags a processing one for its worker.
    pub async fn cancel(
        &self,
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> diesel::QueryResult<Cancel> {
        let row: Option<StatusRow> = diesel::sql_query(&self.sql.cancel)
            .bind::<SqlUuid, _>(id)
            .get_result(conn)
            .await
            .map(Some)
            .or_else(not_found_as_none)?;
        Ok(match row.as_ref().map(|r| r.status.as_str()) {
            Some("canceled") => Cancel::Canceled,
            Some(_) => Cancel::Requested,
            None => Cancel::NotCancelable,
        })
    }

    /// One reaper pass over at most `batch` entries, in one transaction:
    /// expired leases go back to the queue (or fail with `attempts_exhausted`),
    /// entries past their deadline fail with `deadline_exceeded`. `on_failed`
    /// runs for every failure inside the transaction.
    pub async fn reap(
        &self,
        conn: &mut AsyncPgConnection,
        batch: i64,
        on_failed: &FailHook<'_>,
    ) -> diesel::QueryResult<Reaped> {
        Tm::begin_transaction(conn).await?;
        match self.reap_in_transaction(conn, batch, on_failed).await {
            Ok(r) => {
                Tm::commit_transaction(conn).await?;
                Ok(r)
            }
            Err(e) => {
                if let Err(rollback) = Tm::rollback_transaction(conn).await {
                    tracing::warn!(error = %rollback, "reaper rollback failed");
                }
                Err(e)
            }
        }
    }

    async fn reap_in_transaction(
        &self,
        conn: &mut AsyncPgConnection,
        batch: i64,
        on_failed: &FailHook<'_>,
    ) -> diesel::QueryResult<Reaped> {
        let rows: Vec<ExpiredRow> = diesel::sql_query(&self.sql.expired)
            .bind::<BigInt, _>(batch)
            .load(conn)
            .await?;
        let mut reaped = Reaped::default();
        for row in rows {
            let failure = if row.past_deadline {
                Some((
                    "deadline_exceeded",
                    "the job did not finish before its deadline",
                ))
            } else if row.exhausted {
                Some((
                    "attempts_exhausted",
                    "the job's worker stopped responding too many times",
                ))
            } else {
                None
            };
            match failure {
                Some((code, message)) => {
                    diesel::sql_query(&self.sql.fail_reaped)
                        .bind::<SqlUuid, _>(row.id)
                        .bind::<Text, _>(code)
                        .bind::<Text, _>(message)
                        .execute(conn)
                        .await?;
                    on_failed(conn, ReapedFailure { id: row.id, code }).await?;
                    reaped.failed += 1;
                }
                None => {
                    diesel::sql_query(&self.sql.requeue)
                        .bind::<SqlUuid, _>(row.id)
                        .execute(conn)
                        .await?;
                    reaped.requeued += 1;
                }
            }
        }
        if reaped.requeued > 0 {
            self.notify(conn).await?;
        }
        Ok(reaped)
    }

    /// Wakes listening workers (delivered at commit when inside a transaction).
    pub async fn notify(&self, conn: &mut AsyncPgConnection) -> diesel::QueryResult<()> {
        diesel::sql_query("SELECT pg_notify($1, '')")
            .bind::<Text, _>(&self.channel)
            .execute(conn)
            .await
            .map(|_| ())
    }

    /// A dedicated connection listening on this queue's channel.
    pub async fn listen(&self, database_url: &str) -> Result<Listener, QueueError> {
        let mut conn = AsyncPgConnection::establish(database_url).await?;
        diesel::sql_query(format!("LISTEN {}", self.channel))
            .execute(&mut conn)
            .await?;
        Ok(Listener { conn })
    }
}

fn not_found_as_none<T>(e: diesel::result::Error) -> diesel::QueryResult<Option<T>> {
    match e {
        diesel::result::Error::NotFound => Ok(None),
        other => Err(other),
    }
}

/// Wake-ups from `NOTIFY` on a queue's channel.
pub struct Listener {
    conn: AsyncPgConnection,
}

impl Listener {
    /// Waits for a notification or `timeout` (the polling fallback), whichever
    /// comes first. `Err` when the connection broke (reconnect with [`Queue::listen`]).
    pub async fn wait(&mut self, timeout: Duration) -> Result<(), QueueError> {
        let mut stream = std::pin::pin!(self.conn.notifications_stream());
        match tokio::time::timeout(timeout, stream.next()).await {
            Ok(Some(Err(e))) => Err(e.into()),
            Ok(None) => Err(QueueError::ListenerClosed),
            Ok(Some(Ok(_))) | Err(_) => Ok(()),
        }
    }
}
