//! The queue against real PostgreSQL: exclusive claims under concurrency,
//! stale leases, the reaper and its hook, deadlines, retries, cancel, NOTIFY.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use diesel::{
    QueryableByName,
    sql_types::{BigInt, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::FutureExt;
use jobs::{Beat, Cancel, Outcome, Queue, QueueConfig, Reaped, ReapedFailure, Retried};
use std::time::{Duration, Instant};
use uuid::Uuid;

const MIGRATIONS: diesel_migrations::EmbeddedMigrations = db::embed_migrations!("tests/migrations");

async fn setup() -> (String, AsyncPgConnection) {
    let url = testkit::fresh_db("jobs", MIGRATIONS).await;
    let conn = AsyncPgConnection::establish(&url).await.unwrap();
    (url, conn)
}

fn queue(lease: Duration) -> Queue {
    let mut c = QueueConfig::new("test_jobs");
    c.lease = lease;
    c.base_backoff = Duration::from_secs(60);
    Queue::new(c).unwrap()
}

async fn insert(conn: &mut AsyncPgConnection, n: usize) -> Vec<Uuid> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let id = Uuid::now_v7();
        diesel::sql_query("INSERT INTO test_jobs (id) VALUES ($1)")
            .bind::<SqlUuid, _>(id)
            .execute(conn)
            .await
            .unwrap();
        ids.push(id);
    }
    ids
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    error_code: Option<String>,
}

async fn row(conn: &mut AsyncPgConnection, id: Uuid) -> Row {
    diesel::sql_query("SELECT status, error_code FROM test_jobs WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .get_result(conn)
        .await
        .unwrap()
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(conn: &mut AsyncPgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<N>(conn)
        .await
        .unwrap()
        .n
}

fn no_hook() -> Box<jobs::FailHook<'static>> {
    Box::new(|_, _| async { Ok(()) }.boxed())
}

#[tokio::test]
async fn concurrent_claimers_run_every_entry_exactly_once() {
    let (url, mut conn) = setup().await;
    insert(&mut conn, 60).await;
    let q = queue(Duration::from_secs(30));
    let mut tasks = Vec::new();
    for w in 0..4 {
        let q = q.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
            let owner = format!("w{w}");
            let mut done = 0;
            loop {
                let claimed = q.claim(&mut conn, &owner, 3).await.unwrap();
                if claimed.is_empty() {
                    break done;
                }
                for c in claimed {
                    diesel::sql_query(
                        "UPDATE test_jobs SET completions = completions + 1 WHERE id = $1",
                    )
                    .bind::<SqlUuid, _>(c.lease.id)
                    .execute(&mut conn)
                    .await
                    .unwrap();
                    assert!(
                        q.finish(&mut conn, &c.lease, Outcome::Succeeded)
                            .await
                            .unwrap()
                    );
                    done += 1;
                }
            }
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert_eq!(total, 60);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM test_jobs WHERE status = 'succeeded' AND completions = 1"
        )
        .await,
        60
    );
}

#[tokio::test]
async fn a_reaped_lease_can_no_longer_finish() {
    let (_url, mut conn) = setup().await;
    let id = insert(&mut conn, 1).await[0];
    let q = queue(Duration::from_millis(200));
    let first = q.claim(&mut conn, "stalled", 1).await.unwrap().remove(0);
    assert_eq!(first.lease.attempt, 1);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let reaped = q.reap(&mut conn, 10, &*no_hook()).await.unwrap();
    assert_eq!(
        reaped,
        Reaped {
            requeued: 1,
            failed: 0
        }
    );
    let second = q.claim(&mut conn, "healthy", 1).await.unwrap().remove(0);
    assert_eq!(second.lease.attempt, 2);
    assert_eq!(
        q.heartbeat(&mut conn, &first.lease).await.unwrap(),
        Beat::Lost
    );
    assert!(
        !q.finish(&mut conn, &first.lease, Outcome::Succeeded)
            .await
            .unwrap()
    );
    assert_eq!(
        q.heartbeat(&mut conn, &second.lease).await.unwrap(),
        Beat::Alive
    );
    assert!(
        q.finish(&mut conn, &second.lease, Outcome::Succeeded)
            .await
            .unwrap()
    );
    assert_eq!(row(&mut conn, id).await.status, "succeeded");
    assert!(
        !q.finish(&mut conn, &second.lease, Outcome::Succeeded)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn the_reaper_fails_exhausted_and_late_entries_through_the_hook() {
    let (_url, mut conn) = setup().await;
    let exhausted = insert(&mut conn, 1).await[0];
    diesel::sql_query("UPDATE test_jobs SET max_attempts = 1")
        .execute(&mut conn)
        .await
        .unwrap();
    let late = insert(&mut conn, 1).await[0];
    diesel::sql_query(
        "UPDATE test_jobs SET deadline_at = now() - interval '1 second' WHERE id = $1",
    )
    .bind::<SqlUuid, _>(late)
    .execute(&mut conn)
    .await
    .unwrap();
    let q = queue(Duration::from_millis(100));
    // An entry past its deadline is never claimed; the reaper fails it.
    let claimed = q.claim(&mut conn, "w", 10).await.unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].lease.id, exhausted);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let hook: Box<jobs::FailHook<'static>> = Box::new(|conn, failure: ReapedFailure| {
        async move {
            diesel::sql_query("INSERT INTO hook_calls (id, code) VALUES ($1, $2)")
                .bind::<SqlUuid, _>(failure.id)
                .bind::<Text, _>(failure.code)
                .execute(conn)
                .await
                .map(|_| ())
        }
        .boxed()
    });
    let reaped = q.reap(&mut conn, 10, &*hook).await.unwrap();
    assert_eq!(
        reaped,
        Reaped {
            requeued: 0,
            failed: 2
        }
    );
    let r = row(&mut conn, exhausted).await;
    assert_eq!(
        (r.status.as_str(), r.error_code.as_deref()),
        ("failed", Some("attempts_exhausted"))
    );
    let r = row(&mut conn, late).await;
    assert_eq!(
        (r.status.as_str(), r.error_code.as_deref()),
        ("failed", Some("deadline_exceeded"))
    );
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM hook_calls").await,
        2
    );
    // A failing hook rolls the whole pass back.
    let again = insert(&mut conn, 1).await[0];
    diesel::sql_query(
        "UPDATE test_jobs SET deadline_at = now() - interval '1 second' WHERE id = $1",
    )
    .bind::<SqlUuid, _>(again)
    .execute(&mut conn)
    .await
    .unwrap();
    let failing: Box<jobs::FailHook<'static>> =
        Box::new(|_, _| async { Err(diesel::result::Error::RollbackTransaction) }.boxed());
    assert!(q.reap(&mut conn, 10, &*failing).await.is_err());
    assert_eq!(row(&mut conn, again).await.status, "queued");
}

#[tokio::test]
async fn retries_back_off_and_then_fail() {
    let (_url, mut conn) = setup().await;
    let id = insert(&mut conn, 1).await[0];
    diesel::sql_query("UPDATE test_jobs SET max_attempts = 2")
        .execute(&mut conn)
        .await
        .unwrap();
    let mut config = QueueConfig::new("test_jobs");
    config.base_backoff = Duration::from_millis(300);
    let q = Queue::new(config).unwrap();
    assert_eq!(q.backoff(1), Duration::from_millis(300));
    assert_eq!(q.backoff(3), Duration::from_millis(1200));
    let c = q.claim(&mut conn, "w", 1).await.unwrap().remove(0);
    assert_eq!(
        q.retry(&mut conn, &c.lease, "provider_error", "boom")
            .await
            .unwrap(),
        Retried::Requeued
    );
    assert!(
        q.claim(&mut conn, "w", 1).await.unwrap().is_empty(),
        "not due before the backoff"
    );
    tokio::time::sleep(Duration::from_millis(450)).await;
    let c = q.claim(&mut conn, "w", 1).await.unwrap().remove(0);
    assert_eq!(c.lease.attempt, 2);
    assert_eq!(
        q.retry(&mut conn, &c.lease, "provider_error", "boom")
            .await
            .unwrap(),
        Retried::Failed
    );
    let r = row(&mut conn, id).await;
    assert_eq!(
        (r.status.as_str(), r.error_code.as_deref()),
        ("failed", Some("provider_error"))
    );
    assert_eq!(
        q.retry(&mut conn, &c.lease, "provider_error", "boom")
            .await
            .unwrap(),
        Retried::Lost
    );
}

#[tokio::test]
async fn cancel_is_immediate_when_queued_and_requested_when_processing() {
    let (_url, mut conn) = setup().await;
    let ids = insert(&mut conn, 2).await;
    let q = queue(Duration::from_secs(30));
    let c = q.claim(&mut conn, "w", 1).await.unwrap().remove(0);
    let other = if c.lease.id == ids[0] { ids[1] } else { ids[0] };
    assert_eq!(q.cancel(&mut conn, other).await.unwrap(), Cancel::Canceled);
    assert_eq!(row(&mut conn, other).await.status, "canceled");
    assert_eq!(
        q.cancel(&mut conn, other).await.unwrap(),
        Cancel::NotCancelable
    );
    assert_eq!(
        q.cancel(&mut conn, c.lease.id).await.unwrap(),
        Cancel::Requested
    );
    assert_eq!(
        q.heartbeat(&mut conn, &c.lease).await.unwrap(),
        Beat::CancelRequested
    );
    assert!(
        q.finish(&mut conn, &c.lease, Outcome::Canceled)
            .await
            .unwrap()
    );
    assert_eq!(row(&mut conn, c.lease.id).await.status, "canceled");
}

#[tokio::test]
async fn notify_wakes_a_listener_before_its_poll_interval() {
    let (url, mut conn) = setup().await;
    let q = queue(Duration::from_secs(30));
    let mut listener = q.listen(&url).await.unwrap();
    let waiter = tokio::spawn(async move {
        let start = Instant::now();
        listener.wait(Duration::from_secs(20)).await.unwrap();
        start.elapsed()
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    q.notify(&mut conn).await.unwrap();
    let waited = waiter.await.unwrap();
    assert!(
        waited < Duration::from_secs(10),
        "woken by NOTIFY, not the timeout: {waited:?}"
    );
}

#[test]
fn table_names_are_identifiers() {
    assert!(Queue::new(QueueConfig::new("jobs; DROP TABLE x")).is_err());
    assert!(Queue::new(QueueConfig::new("Jobs")).is_err());
    assert!(Queue::new(QueueConfig::new("webhook_deliveries")).is_ok());
    assert!(jobs::QUEUE_COLUMNS_SQL.contains("lease_expires_at"));
}

#[tokio::test]
async fn stats_count_queued_entries_and_the_oldest_due_ones_wait() {
    let (_url, mut conn) = setup().await;
    let q = queue(Duration::from_secs(30));
    let empty = q.stats(&mut conn).await.unwrap();
    assert_eq!((empty.queued, empty.oldest_queued_age_seconds), (0, 0.0));
    let ids = insert(&mut conn, 4).await;
    // One due for 90 s, one in backoff (not due: does not age), one claimed.
    diesel::sql_query("UPDATE test_jobs SET run_at = now() - interval '90 seconds' WHERE id = $1")
        .bind::<SqlUuid, _>(ids[0])
        .execute(&mut conn)
        .await
        .unwrap();
    diesel::sql_query("UPDATE test_jobs SET run_at = now() + interval '1 hour' WHERE id <> $1")
        .bind::<SqlUuid, _>(ids[0])
        .execute(&mut conn)
        .await
        .unwrap();
    diesel::sql_query("UPDATE test_jobs SET run_at = now() - interval '1 second' WHERE id = $1")
        .bind::<SqlUuid, _>(ids[1])
        .execute(&mut conn)
        .await
        .unwrap();
    let claimed = q.claim(&mut conn, "w", 1).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let s = q.stats(&mut conn).await.unwrap();
    assert_eq!(s.queued, 3, "{s:?}");
    // The claim took the oldest (ids[0]); ids[1] has waited about a second.
    assert!((1.0..60.0).contains(&s.oldest_queued_age_seconds), "{s:?}");
}
