//! The Redis connection: one standalone server through a [`ConnectionManager`], or a Redis
//! Cluster through redis-rs's cluster client (config `redis.cluster = true`, `redis.url` =
//! comma-separated seed nodes). Both connect lazily and reconnect in the background, so the
//! service starts and serves (per its failure policy) while Redis is down.
//!
//! In a cluster, `EVALSHA` is routed by its first key; every key of one call carries the
//! subject's hash tag, so the script's keys are always in one slot.

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisError, RedisFuture, Value};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// A cheap-to-clone handle usable wherever redis-rs wants an async connection.
#[derive(Clone)]
pub enum RedisConn {
    Single(ConnectionManager),
    /// Set by a background task once the cluster's topology has been read.
    Cluster(Arc<OnceLock<ClusterConnection>>),
}

impl std::fmt::Debug for RedisConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Single(_) => f.write_str("RedisConn::Single"),
            Self::Cluster(c) => write!(f, "RedisConn::Cluster(connected: {})", c.get().is_some()),
        }
    }
}

impl RedisConn {
    /// Connects lazily. `url` is one URL, or with `cluster` a comma-separated list of seed nodes.
    /// Must be called inside a Tokio runtime.
    pub fn open(url: &str, cluster: bool) -> Result<Self, RedisError> {
        if !cluster {
            let client = redis::Client::open(url)?;
            let cfg = ConnectionManagerConfig::new()
                .set_connection_timeout(Some(Duration::from_secs(1)))
                .set_response_timeout(Some(Duration::from_secs(2)))
                .set_min_delay(Duration::from_millis(50))
                .set_max_delay(Duration::from_secs(1))
                .set_number_of_retries(2);
            return Ok(Self::Single(ConnectionManager::new_lazy_with_config(
                client, cfg,
            )?));
        }
        let nodes: Vec<&str> = url
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let client = ClusterClient::builder(nodes)
            .connection_timeout(Duration::from_secs(1))
            .response_timeout(Duration::from_secs(2))
            .retries(2)
            .build()?;
        let cell = Arc::new(OnceLock::new());
        let slot = cell.clone();
        tokio::spawn(async move {
            let mut delay = Duration::from_millis(100);
            loop {
                match client.get_async_connection().await {
                    Ok(con) => {
                        let _ = slot.set(con);
                        tracing::info!("connected to the redis cluster");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "redis cluster not reachable yet; retrying");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(2));
                    }
                }
            }
        });
        Ok(Self::Cluster(cell))
    }
}

fn not_connected() -> RedisError {
    RedisError::from(std::io::Error::new(
        std::io::ErrorKind::NotConnected,
        "redis cluster not connected yet",
    ))
}

impl ConnectionLike for RedisConn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(c) => c.req_packed_command(cmd),
            Self::Cluster(cell) => match cell.get() {
                Some(c) => {
                    let mut c = c.clone();
                    Box::pin(async move { c.req_packed_command(cmd).await })
                }
                None => Box::pin(async { Err(not_connected()) }),
            },
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(c) => c.req_packed_commands(pipeline, offset, count),
            Self::Cluster(cell) => match cell.get() {
                Some(c) => {
                    let mut c = c.clone();
                    Box::pin(async move { c.req_packed_commands(pipeline, offset, count).await })
                }
                None => Box::pin(async { Err(not_connected()) }),
            },
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(c) => c.get_db(),
            Self::Cluster(_) => 0,
        }
    }
}
