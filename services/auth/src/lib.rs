//! The auth service: tenants (shops, projects, workspaces), their users, and
//! API keys (stored as SHA-256 hashes); gRPC `Authenticate` turns a key into a
//! short-lived EdDSA internal JWT for one upstream; the JWKS publishes the
//! signing keys; an operator HTTP API (and the `authctl` CLI over it) manages
//! everything.
//!
//! [`Application::build`] binds both listeners (port 0 in tests) and is used by
//! `main` and the integration tests alike.

pub mod authn;
pub mod cache;
pub mod config;
pub mod events;
pub mod grpc;
pub mod ids;
pub mod last_used;
pub mod models;
mod routes;
pub mod schema;
pub mod signing;
mod validate;
pub mod views;

use actix_web::{App, HttpServer, web};
use anyhow::Context;
use error_envelope::{Dialect, RequestContext};
use service_kit::{database, health::Readiness, metrics::Metrics};
use std::{sync::Arc, time::Duration};

pub use config::Config;

pub const MIGRATIONS: diesel_migrations::EmbeddedMigrations = db::embed_migrations!("migrations");

/// Everything handlers and the gRPC service share.
pub struct AppState {
    pub config: Config,
    pub pool: db::Pool,
    pub signer: signing::Signer,
    pub cache: Arc<cache::KeyCache>,
    pub last_used: last_used::LastUsed,
    pub publisher: events::Publisher,
    pub cursor: query::CursorCodec,
    pub stats: authn::Stats,
}

pub struct Application {
    http_port: u16,
    grpc_port: u16,
    state: Arc<AppState>,
    http: actix_web::dev::Server,
    grpc_listener: tokio::net::TcpListener,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let pool = database::open(&config.database, MIGRATIONS).await?;
        let kek = signing::Kek::from_config(config.signing_key_encryption_key.expose())?;
        let signer = {
            let mut conn = pool.get().await.context("connect to PostgreSQL")?;
            signing::Signer::bootstrap(
                &mut conn,
                kek,
                Duration::from_secs(config.signing_key_rollover_seconds),
            )
            .await?
        };
        let publisher =
            events::Publisher::new(config.redis.url.expose(), &config.revocation_channel)
                .await
                .context("Redis URL")?;
        let state = Arc::new(AppState {
            cache: Arc::new(cache::KeyCache::new(
                Duration::from_millis(config.key_cache_ttl_ms),
                config.key_cache_capacity,
            )),
            cursor: query::CursorCodec::new(config.cursor_secret.expose()),
            last_used: last_used::LastUsed::default(),
            stats: authn::Stats::default(),
            pool,
            signer,
            publisher,
            config,
        });

        let mut metrics = Metrics::new("auth");
        database::register_metrics(&mut metrics, &state.pool);
        let stats_of = Arc::clone(&state);
        metrics.register_counters_fn(
            "auth_key_lookups",
            "API key lookups by where they were answered",
            "source",
            move || {
                use std::sync::atomic::Ordering::Relaxed;
                vec![
                    ("cache", stats_of.stats.cache_hits.load(Relaxed)),
                    ("database", stats_of.stats.db_lookups.load(Relaxed)),
                ]
            },
        );
        let cache_of = Arc::clone(&state.cache);
        metrics.register_gauges_fn(
            "auth_key_cache_entries",
            "Entries of the in-process key cache",
            "cache",
            move || vec![("keys", cache_of.len() as u64)],
        );
        let metrics = Arc::new(metrics);
        let redis_of = Arc::clone(&state);
        let readiness = Arc::new(
            database::require_ready(Readiness::new(), &state.pool).optional("redis", move || {
                let state = Arc::clone(&redis_of);
                async move { state.publisher.ping().await.is_ok() }
            }),
        );

        let listener = std::net::TcpListener::bind(&state.config.listen)
            .with_context(|| format!("bind {}", state.config.listen))?;
        let http_port = listener.local_addr()?.port();
        let grpc_listener = tokio::net::TcpListener::bind(&state.config.grpc_listen)
            .await
            .with_context(|| format!("bind {}", state.config.grpc_listen))?;
        let grpc_port = grpc_listener.local_addr()?.port();

        let data = web::Data::from(Arc::clone(&state));
        let json_limit = state.config.json_limit_bytes;
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(web::PayloadConfig::new(json_limit))
                .configure(error_envelope::extractor_configs(json_limit))
                .configure(service_kit::observability_routes(
                    Arc::clone(&readiness),
                    Arc::clone(&metrics),
                ))
                .configure(routes::configure)
                .default_service(web::to(error_envelope::not_found_handler))
                .wrap(telemetry::tracing_logger())
                .wrap(RequestContext::new(Dialect::Admin))
                .wrap(metrics.request_metrics())
        })
        .disable_signals()
        .shutdown_timeout(state.config.shutdown_timeout_seconds)
        .listen(listener)?;
        if state.config.workers > 0 {
            server = server.workers(state.config.workers);
        }
        let http = server.run();
        Ok(Self {
            http_port,
            grpc_port,
            state,
            http,
            grpc_listener,
        })
    }

    pub fn http_port(&self) -> u16 {
        self.http_port
    }

    pub fn grpc_port(&self) -> u16 {
        self.grpc_port
    }

    pub fn state(&self) -> Arc<AppState> {
        Arc::clone(&self.state)
    }

    /// Serves HTTP and gRPC until SIGTERM/Ctrl-C (the kit's signal handling;
    /// gRPC then drains too), then flushes the buffered `last_used_at` stamps.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let state = self.state;
        let background = vec![
            tokio::spawn(events::run_subscriber(
                state.config.redis.url.expose().to_owned(),
                state.config.revocation_channel.clone(),
                Arc::clone(&state.cache),
            )),
            tokio::spawn(flush_last_used(Arc::clone(&state))),
            tokio::spawn(refresh_signing_key(Arc::clone(&state))),
        ];
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let mut builder = tonic::transport::Server::builder()
            .max_connection_age(state.config.grpc.max_connection_age());
        if let Some(grace) = state.config.grpc.max_connection_age_grace() {
            builder = builder.max_connection_age_grace(grace);
        }
        let grpc = tokio::spawn(
            builder
                .add_service(rpc::auth::auth_server::AuthServer::new(
                    grpc::AuthService::new(Arc::clone(&state)),
                ))
                .serve_with_incoming_shutdown(
                    // Without TCP_NODELAY small responses wait for the peer's delayed ACK (~40 ms).
                    tonic::transport::server::TcpIncoming::from(self.grpc_listener)
                        .with_nodelay(Some(true))
                        .with_keepalive(Some(Duration::from_secs(60))),
                    async {
                        let _ = stop_rx.await;
                    },
                ),
        );
        let http_result = service_kit::shutdown::run_until_signal(self.http).await;
        let _ = stop_tx.send(());
        let grpc_result = grpc.await;
        for task in background {
            task.abort();
        }
        if let Err(e) = state.last_used.flush(&state.pool).await {
            tracing::warn!(error = %e, "final last_used flush failed");
        }
        http_result.context("HTTP server")?;
        grpc_result.context("gRPC task")?.context("gRPC server")?;
        Ok(())
    }
}

async fn flush_last_used(state: Arc<AppState>) {
    let period = Duration::from_secs(state.config.last_used_flush_seconds.max(1));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = state.last_used.flush(&state.pool).await {
            tracing::warn!(error = %e, "last_used flush failed; will retry");
        }
    }
}

async fn refresh_signing_key(state: Arc<AppState>) {
    let period = Duration::from_secs(state.config.signing_key_refresh_seconds.max(1));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let result = match state.pool.get().await {
            Ok(mut conn) => state
                .signer
                .reload(&mut conn)
                .await
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "signing key reload failed");
        }
    }
}
