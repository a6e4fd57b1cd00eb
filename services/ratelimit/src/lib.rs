//! Rate-limit service: decides, for the gateway, whether a request may pass
//! (GCRA in one atomic Redis Lua call per decision), and keeps per-key usage
//! counters that the admin API reads. See `README.md`.
//!
//! [`Application::build`] binds both listeners (port 0 in tests) and returns the
//! bound ports; [`Application::run_until_stopped`] serves until a shutdown signal.

pub mod config;
pub mod fallback;
pub mod gcra;
pub mod grpc;
pub mod limiter;
pub mod metrics;
pub mod policy;
pub mod store;

use crate::{config::Config, limiter::Limiter, metrics::Metrics, policy::PolicyTable};
use actix_web::{App, HttpServer};
use service_kit::health::Readiness;
use std::{future::Future, sync::Arc, time::Duration};
use tonic::transport::server::TcpIncoming;

pub struct Application {
    grpc_port: u16,
    http_port: u16,
    limiter: Arc<Limiter>,
    metrics: Arc<Metrics>,
    grpc_incoming: TcpIncoming,
    grpc_config: service_kit::config::GrpcServerConfig,
    http_server: actix_web::dev::Server,
}

impl Application {
    /// Validates the policy table, creates the (lazy) Redis connection and binds both listeners.
    /// Starts even while Redis is down: decisions then follow the failure policy.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let policies = PolicyTable::from_config(&config)?;
        let metrics = Arc::new(Metrics::new(policies.tier_names()));
        let limiter = Arc::new(Limiter::new(&config, metrics.clone(), policies)?);

        let grpc_listener = tokio::net::TcpListener::bind(&config.grpc_listen).await?;
        let grpc_port = grpc_listener.local_addr()?.port();
        let grpc_incoming = TcpIncoming::from(grpc_listener).with_nodelay(Some(true));

        let mut kit_metrics = service_kit::metrics::Metrics::new("ratelimit");
        metrics.register(kit_metrics.registry_mut());
        let kit_metrics = Arc::new(kit_metrics);
        let probe = Arc::clone(&limiter);
        // With `ready_without_redis`, a Redis outage reports `degraded` (200) so
        // Kubernetes keeps routing to the fail-open limiter.
        let readiness = Arc::new(
            Readiness::new()
                .require("redis", move || {
                    let limiter = Arc::clone(&probe);
                    async move { limiter.redis_ready(Duration::from_millis(500)).await }
                })
                .never_unavailable(config.ready_without_redis),
        );

        let http_listener = std::net::TcpListener::bind(&config.listen)?;
        let http_port = http_listener.local_addr()?.port();
        let http_server = HttpServer::new(move || {
            App::new()
                .configure(service_kit::observability_routes(
                    Arc::clone(&readiness),
                    Arc::clone(&kit_metrics),
                ))
                .wrap(kit_metrics.request_metrics())
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(config.shutdown_timeout_seconds)
        .listen(http_listener)?
        .run();

        Ok(Self {
            grpc_port,
            http_port,
            limiter,
            metrics,
            grpc_incoming,
            grpc_config: config.grpc.clone(),
            http_server,
        })
    }

    pub fn grpc_port(&self) -> u16 {
        self.grpc_port
    }

    pub fn http_port(&self) -> u16 {
        self.http_port
    }

    pub fn limiter(&self) -> Arc<Limiter> {
        self.limiter.clone()
    }

    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Serves gRPC and HTTP until `shutdown` resolves, then drains both gracefully.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let handle = self.http_server.handle();
        let http = tokio::spawn(self.http_server);
        let svc = rpc::ratelimit::rate_limit_server::RateLimitServer::new(
            grpc::RateLimitService::new(self.limiter),
        );
        let mut builder = tonic::transport::Server::builder()
            .timeout(Duration::from_secs(5))
            .max_connection_age(self.grpc_config.max_connection_age());
        if let Some(grace) = self.grpc_config.max_connection_age_grace() {
            builder = builder.max_connection_age_grace(grace);
        }
        let grpc = builder
            .add_service(svc)
            .serve_with_incoming_shutdown(self.grpc_incoming, shutdown)
            .await;
        handle.stop(true).await;
        let _ = http.await;
        grpc?;
        Ok(())
    }
}
