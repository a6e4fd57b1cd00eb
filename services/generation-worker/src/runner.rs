//! The worker: claims jobs (NOTIFY wake-ups, polling fallback), runs each on
//! its provider with heartbeats, stores outputs, and finishes the job in one
//! transaction with its credits (capture on success, release otherwise) and
//! its webhook outbox row. A reaper re-queues jobs of dead workers and fails
//! the ones past their deadline or attempts, releasing their credits.

use crate::{
    Config,
    provider::{Artifact, JobInput, Poll, Provider, ProviderError},
};
use diesel::sql_types::{BigInt, Jsonb, SmallInt, Text, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use futures_util::FutureExt;
use generation_api::{credits, models, storage::Storage, webhooks};
use jobs::{Beat, Lease, Outcome, Queue, ReapedFailure};
use serde_json::json;
use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};
use tokio::sync::{Semaphore, watch};

/// Everything a job run needs.
pub struct Ctx {
    pub config: Config,
    pub pool: db::Pool,
    pub jobs: Queue,
    pub deliveries: Queue,
    pub storage: Storage,
    pub providers: HashMap<String, Arc<dyn Provider>>,
    pub worker_id: String,
    pub http: reqwest::Client,
    pub finished: AtomicU64,
    pub metrics: crate::metrics::WorkerMetrics,
}

#[derive(Debug, thiserror::Error)]
enum FinishError {
    #[error("the lease was lost")]
    LeaseLost,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Claims and runs jobs until `shutdown` flips; in-flight jobs then finish
/// (or, if the process dies, are re-queued by another worker's reaper).
pub async fn run_jobs(ctx: Arc<Ctx>, shutdown: watch::Receiver<bool>) -> anyhow::Result<()> {
    let (queue, concurrency) = (ctx.jobs.clone(), ctx.config.concurrency);
    work_queue(ctx, queue, concurrency, shutdown, |ctx, lease| async move {
        let id = lease.id;
        if let Err(e) = run_job(&ctx, lease).await {
            tracing::error!(job = %id, error = %e, "job run failed; the reaper will retry it");
        }
        AtomicU64::fetch_add(&ctx.finished, 1, Ordering::Relaxed);
    })
    .await
}

/// The claim loop of one queue: at most `concurrency` entries at once, each
/// handled by `handle` on its own task; when the queue is empty it sleeps until
/// a NOTIFY or the poll interval (re-listening if the LISTEN connection broke).
/// On shutdown (or after `max_jobs` finished jobs) it waits for in-flight entries.
pub async fn work_queue<F, Fut>(
    ctx: Arc<Ctx>,
    queue: Queue,
    concurrency: usize,
    mut shutdown: watch::Receiver<bool>,
    handle: F,
) -> anyhow::Result<()>
where
    F: Fn(Arc<Ctx>, Lease) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let concurrency = concurrency.max(1);
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut listener = queue.listen(ctx.config.database.url.expose()).await.ok();
    let poll = Duration::from_millis(ctx.config.poll_interval_ms);
    loop {
        if *shutdown.borrow() {
            break;
        }
        if ctx.config.max_jobs > 0
            && AtomicU64::load(&ctx.finished, Ordering::Relaxed) >= ctx.config.max_jobs
        {
            break;
        }
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => p?,
            _ = shutdown.changed() => continue,
        };
        let claimed = match ctx.pool.get().await {
            Ok(mut conn) => queue.claim(&mut conn, &ctx.worker_id, 1).await,
            Err(e) => {
                tracing::warn!(error = %e, "no database connection to claim with");
                tokio::time::sleep(poll).await;
                continue;
            }
        };
        match claimed {
            Ok(mut claimed) if !claimed.is_empty() => {
                let work = handle(ctx.clone(), claimed.remove(0).lease);
                tokio::spawn(async move {
                    work.await;
                    drop(permit);
                });
            }
            Ok(_) => {
                drop(permit);
                let woke = match listener.as_mut() {
                    Some(l) => tokio::select! {
                        r = l.wait(poll) => r.is_ok(),
                        _ = shutdown.changed() => true,
                    },
                    None => false,
                };
                if !woke {
                    // The LISTEN connection broke (or never came up): poll, and try to listen again.
                    tokio::time::sleep(poll.min(Duration::from_millis(500))).await;
                    listener = queue.listen(ctx.config.database.url.expose()).await.ok();
                }
            }
            Err(e) => {
                drop(permit);
                tracing::warn!(table = %queue.config().table, error = %e, "claim failed");
                tokio::time::sleep(poll).await;
            }
        }
    }
    let _all = permits.acquire_many(concurrency as u32).await;
    Ok(())
}

async fn conn(ctx: &Ctx) -> anyhow::Result<db::PooledConn> {
    Ok(ctx.pool.get().await?)
}

/// Runs one claimed job to a final state (or until its lease is lost).
pub async fn run_job(ctx: &Ctx, lease: Lease) -> anyhow::Result<()> {
    let job = models::job_by_id(&mut *conn(ctx).await?, lease.id).await?;
    let Some(provider) = ctx.providers.get(&job.provider).cloned() else {
        let message = format!("provider {} is not configured on this worker", job.provider);
        return finish_unsuccessful(
            ctx,
            &lease,
            Outcome::Failed {
                code: "provider_unavailable",
                message: &message,
            },
        )
        .await;
    };
    if !provider
        .capabilities()
        .job_types
        .contains(&job.r#type.as_str())
    {
        let message = format!("provider {} cannot run {} jobs", job.provider, job.r#type);
        return finish_unsuccessful(
            ctx,
            &lease,
            Outcome::Failed {
                code: "provider_unsupported",
                message: &message,
            },
        )
        .await;
    }
    let input = JobInput {
        id: job.id,
        job_type: job.r#type.clone(),
        params: job.request.clone(),
    };
    let mut request_id = match job.provider_request_id.clone() {
        Some(id) => id,
        None => match submit(ctx, &lease, provider.as_ref(), &input).await? {
            Some(id) => id,
            None => return Ok(()),
        },
    };
    let heartbeat = Duration::from_millis(ctx.config.heartbeat_interval_ms);
    let mut last_beat = Instant::now();
    let mut last_progress = -1i16;
    let mut transient = 0u32;
    loop {
        tokio::time::sleep(Duration::from_millis(ctx.config.provider_poll_interval_ms)).await;
        if last_beat.elapsed() >= heartbeat {
            last_beat = Instant::now();
            match ctx.jobs.heartbeat(&mut *conn(ctx).await?, &lease).await? {
                Beat::Alive => {}
                Beat::Lost => {
                    tracing::warn!(job = %lease.id, "lease lost; abandoning the run");
                    let _ = provider.cancel(&request_id).await;
                    return Ok(());
                }
                Beat::CancelRequested => {
                    if let Err(e) = provider.cancel(&request_id).await {
                        tracing::warn!(job = %lease.id, error = %e, "provider cancel failed");
                    }
                    return finish_unsuccessful(ctx, &lease, Outcome::Canceled).await;
                }
            }
        }
        match provider.poll(&request_id).await {
            Ok(Poll::Running { progress }) => {
                transient = 0;
                let progress = i16::from(progress.min(99));
                if progress != last_progress {
                    last_progress = progress;
                    set_progress(ctx, &lease, progress).await?;
                }
            }
            Ok(Poll::Succeeded(artifacts)) => return succeed(ctx, &lease, &job, artifacts).await,
            Ok(Poll::Failed { code, message }) => {
                return finish_unsuccessful(
                    ctx,
                    &lease,
                    Outcome::Failed {
                        code: &code,
                        message: &message,
                    },
                )
                .await;
            }
            Ok(Poll::Canceled) => return finish_unsuccessful(ctx, &lease, Outcome::Canceled).await,
            Err(ProviderError::UnknownRequest) => {
                tracing::info!(job = %lease.id, "the provider lost the request; submitting again");
                match submit(ctx, &lease, provider.as_ref(), &input).await? {
                    Some(id) => request_id = id,
                    None => return Ok(()),
                }
            }
            Err(ProviderError::Transient(e)) => {
                transient += 1;
                if transient >= ctx.config.provider_error_budget {
                    return retry_later(ctx, &lease, &e).await;
                }
            }
            Err(ProviderError::Permanent { code, message }) => {
                return finish_unsuccessful(
                    ctx,
                    &lease,
                    Outcome::Failed {
                        code: &code,
                        message: &message,
                    },
                )
                .await;
            }
        }
    }
}

/// Submits and saves the provider's request id before any waiting (`None`: lease lost).
async fn submit(
    ctx: &Ctx,
    lease: &Lease,
    provider: &dyn Provider,
    input: &JobInput,
) -> anyhow::Result<Option<String>> {
    let id = match provider.submit(input).await {
        Ok(id) => id,
        Err(ProviderError::Permanent { code, message }) => {
            finish_unsuccessful(
                ctx,
                lease,
                Outcome::Failed {
                    code: &code,
                    message: &message,
                },
            )
            .await?;
            return Ok(None);
        }
        Err(e) => {
            retry_later(ctx, lease, &e.to_string()).await?;
            return Ok(None);
        }
    };
    let saved = diesel::sql_query(
        "UPDATE jobs SET provider_request_id = $4 WHERE id = $1 AND lease_owner = $2 AND attempts = $3 \
         AND status = 'processing'",
    )
    .bind::<SqlUuid, _>(lease.id)
    .bind::<Text, _>(&lease.owner)
    .bind::<diesel::sql_types::Integer, _>(lease.attempt)
    .bind::<Text, _>(&id)
    .execute(&mut *conn(ctx).await?)
    .await?;
    if saved == 0 {
        let _ = provider.cancel(&id).await;
        return Ok(None);
    }
    Ok(Some(id))
}

async fn set_progress(ctx: &Ctx, lease: &Lease, progress: i16) -> anyhow::Result<()> {
    diesel::sql_query(
        "UPDATE jobs SET progress = $4 WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND status = 'processing'",
    )
    .bind::<SqlUuid, _>(lease.id)
    .bind::<Text, _>(&lease.owner)
    .bind::<diesel::sql_types::Integer, _>(lease.attempt)
    .bind::<SmallInt, _>(progress)
    .execute(&mut *conn(ctx).await?)
    .await?;
    Ok(())
}

/// Copies the outputs into the store, then finishes the job with the capture.
async fn succeed(
    ctx: &Ctx,
    lease: &Lease,
    job: &models::JobRow,
    artifacts: Vec<Artifact>,
) -> anyhow::Result<()> {
    let mut outputs = Vec::new();
    for (n, artifact) in artifacts.into_iter().enumerate() {
        let (data, ext, width, height) = match artifact {
            Artifact::Bytes {
                data,
                ext,
                width,
                height,
            } => (data, ext.to_owned(), width, height),
            Artifact::Url { url, ext } => {
                let res = ctx.http.get(&url).send().await?.error_for_status()?;
                (res.bytes().await?.to_vec(), ext, None, None)
            }
        };
        let key = generation_api::storage::output_key(job.id, n, &ext);
        let bytes = data.len();
        ctx.storage.put(&key, data).await?;
        outputs.push(json!({ "key": key, "bytes": bytes, "width": width, "height": height }));
    }
    let charged = if job.mode() == credits::Mode::Live {
        job.credits_reserved
    } else {
        0
    };
    let retention = ctx.config.storage.retention_hours;
    let deliveries = ctx.deliveries.clone();
    let jobs = ctx.jobs.clone();
    let lease = lease.clone();
    let outputs = serde_json::Value::Array(outputs);
    let mut pooled = conn(ctx).await?;
    let conn: &mut AsyncPgConnection = &mut pooled;
    let result = conn
        .transaction(
            async |c: &mut AsyncPgConnection| -> Result<(), FinishError> {
                if !jobs.finish(c, &lease, Outcome::Succeeded).await? {
                    return Err(FinishError::LeaseLost);
                }
                diesel::sql_query(
                    "UPDATE jobs SET outputs = $2, progress = 100, credits_charged = $3, \
                 result_expires_at = now() + make_interval(hours => $4::int) WHERE id = $1",
                )
                .bind::<SqlUuid, _>(lease.id)
                .bind::<Jsonb, _>(&outputs)
                .bind::<BigInt, _>(charged)
                .bind::<BigInt, _>(retention)
                .execute(c)
                .await?;
                let row = models::job_by_id(c, lease.id).await?;
                credits::capture(
                    c,
                    row.workspace_id,
                    row.mode(),
                    row.id,
                    row.credits_reserved,
                    charged,
                )
                .await?;
                webhooks::enqueue(c, &row, &deliveries).await?;
                Ok(())
            },
        )
        .await;
    match result {
        Ok(()) => Ok(()),
        Err(FinishError::LeaseLost) => {
            tracing::warn!(job = %lease.id, "lease lost before success was recorded; another attempt owns the job");
            Ok(())
        }
        Err(FinishError::Db(e)) => Err(e.into()),
    }
}

/// Failed or canceled: the job's hold is released in the same transaction.
async fn finish_unsuccessful(ctx: &Ctx, lease: &Lease, outcome: Outcome<'_>) -> anyhow::Result<()> {
    let deliveries = ctx.deliveries.clone();
    let jobs = ctx.jobs.clone();
    let mut pooled = conn(ctx).await?;
    let conn: &mut AsyncPgConnection = &mut pooled;
    let result = conn
        .transaction(
            async |c: &mut AsyncPgConnection| -> Result<(), FinishError> {
                if !jobs.finish(c, lease, outcome.clone()).await? {
                    return Err(FinishError::LeaseLost);
                }
                release_and_notify(c, lease.id, &deliveries).await?;
                Ok(())
            },
        )
        .await;
    match result {
        Ok(()) | Err(FinishError::LeaseLost) => Ok(()),
        Err(FinishError::Db(e)) => Err(e.into()),
    }
}

/// Provider trouble: back to the queue after the backoff, or failed (credits released) when out of attempts.
async fn retry_later(ctx: &Ctx, lease: &Lease, error: &str) -> anyhow::Result<()> {
    let deliveries = ctx.deliveries.clone();
    let jobs = ctx.jobs.clone();
    let mut pooled = conn(ctx).await?;
    let conn: &mut AsyncPgConnection = &mut pooled;
    conn.transaction(
        async |c: &mut AsyncPgConnection| -> Result<(), diesel::result::Error> {
            if jobs.retry(c, lease, "provider_error", error).await? == jobs::Retried::Failed {
                release_and_notify(c, lease.id, &deliveries).await?;
            }
            Ok(())
        },
    )
    .await?;
    Ok(())
}

/// For a job just made failed/canceled: charged 0, hold released, webhook queued.
async fn release_and_notify(
    c: &mut AsyncPgConnection,
    id: uuid::Uuid,
    deliveries: &Queue,
) -> diesel::QueryResult<()> {
    diesel::sql_query("UPDATE jobs SET credits_charged = 0 WHERE id = $1")
        .bind::<SqlUuid, _>(id)
        .execute(c)
        .await?;
    let row = models::job_by_id(c, id).await?;
    credits::release(
        c,
        row.workspace_id,
        row.mode(),
        row.id,
        row.credits_reserved,
    )
    .await?;
    webhooks::enqueue(c, &row, deliveries).await
}

/// Reaps both queues every `reaper_interval_ms` until shutdown.
pub async fn run_reaper(ctx: Arc<Ctx>, mut shutdown: watch::Receiver<bool>) {
    let every = Duration::from_millis(ctx.config.reaper_interval_ms);
    let deliveries = ctx.deliveries.clone();
    let hook: Box<jobs::FailHook<'static>> = Box::new(move |c, failure: ReapedFailure| {
        let deliveries = deliveries.clone();
        async move { release_and_notify(c, failure.id, &deliveries).await }.boxed()
    });
    let no_hook: Box<jobs::FailHook<'static>> = Box::new(|_, _| async { Ok(()) }.boxed());
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
        crate::metrics::sample_queues(&ctx).await;
        let Ok(mut c) = ctx.pool.get().await else {
            continue;
        };
        match ctx.jobs.reap(&mut c, 100, &*hook).await {
            Ok(r) if r.requeued + r.failed > 0 => {
                tracing::info!(requeued = r.requeued, failed = r.failed, "jobs reaped")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "job reaper failed"),
        }
        if let Err(e) = ctx.deliveries.reap(&mut c, 100, &*no_hook).await {
            tracing::warn!(error = %e, "delivery reaper failed");
        }
    }
}

/// A fresh connection (used by tests and tools).
pub async fn connect(url: &str) -> anyhow::Result<AsyncPgConnection> {
    Ok(AsyncPgConnection::establish(url).await?)
}
