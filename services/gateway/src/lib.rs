//! The edge gateway: the platform's only public listener.
//!
//! [`Application::build`] binds the public listener (proxy) and the internal one
//! (`/healthz`, `/readyz`, `/metrics`), and is used by `main` and the tests alike.
//!
//! - [`config`]: configuration and the default route table.
//! - [`route_table`]: Host + path → route.
//! - [`authn`]: bearer keys → principal + internal JWT (cached, revocable).
//! - [`ratelimit`]: ShouldRateLimit and the rate-limit headers.
//! - [`proxy`]: the streaming reverse proxy handler.
//! - [`upstream`]: pooled HTTP/1.1 connections to the upstreams.
//! - [`internal`]: health, readiness and metrics endpoints.
//! - [`metrics`], [`trace`].

pub mod authn;
pub mod config;
pub mod internal;
pub mod metrics;
pub mod proxy;
pub mod ratelimit;
pub mod route_table;
pub mod trace;
pub mod upstream;

use crate::{
    authn::AuthCache,
    config::Config,
    metrics::Metrics,
    proxy::{Shared, Worker},
    route_table::RouteTable,
};
use actix_web::{
    App, HttpMessage, HttpServer,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::{Condition, Next, from_fn},
    web,
};
use std::{
    net::TcpListener,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tonic::transport::Endpoint;

pub use config::{FailPolicy, RouteConfig};

/// A built (bound, not yet running) gateway.
pub struct Application {
    port: u16,
    internal_port: u16,
    server: actix_web::dev::Server,
    internal: actix_web::dev::Server,
    stopper: Stopper,
    revocations: tokio::task::JoinHandle<()>,
}

/// Starts a graceful shutdown (what SIGTERM does).
#[derive(Clone)]
pub struct Stopper {
    public: actix_web::dev::ServerHandle,
    internal: actix_web::dev::ServerHandle,
    draining: Arc<AtomicBool>,
}

impl Stopper {
    /// Marks the gateway not ready, stops accepting, lets in-flight requests
    /// finish (up to `shutdown_timeout_seconds`), then stops the internal listener.
    pub async fn stop(&self) {
        self.draining.store(true, Ordering::SeqCst);
        self.public.stop(true).await;
        self.internal.stop(true).await;
    }
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let table = RouteTable::from_config(&config)?;
        let metrics = Arc::new(Metrics::new(table.routes().iter().map(|r| r.name.as_str())));
        let cache = Arc::new(AuthCache::new(
            config.auth_cache_max_entries,
            Duration::from_secs(config.jwt_refresh_margin_seconds),
        ));
        let revocations = tokio::spawn(authn::listen_revocations(
            config.redis.url.expose().to_owned(),
            config.revocation_channel.clone(),
            Arc::clone(&cache),
            Arc::clone(&metrics),
        ));
        let auth_endpoint = grpc_endpoint(&config.auth_grpc_url, &config, config.auth_timeout())?;
        let ratelimit_endpoint = grpc_endpoint(
            &config.ratelimit_grpc_url,
            &config,
            config.ratelimit_timeout(),
        )?;
        let draining = Arc::new(AtomicBool::new(false));
        // With OTLP export on, tracing-actix-web's root span continues the caller's
        // trace; without it the handler opens a lighter root span of its own.
        let otel = config.otel.endpoint().is_some();
        let shared = web::Data::new(Shared {
            own_root_span: !otel,
            max_header_bytes: config.max_header_bytes,
            table,
            cache: Arc::clone(&cache),
            metrics: Arc::clone(&metrics),
            trusted_proxies: config.trusted_proxies.clone(),
            access_log: config.access_log,
            draining: Arc::clone(&draining),
        });

        let listener = TcpListener::bind(&config.listen)?;
        let port = listener.local_addr()?.port();
        let workers = match config.workers {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => n,
        };
        let pool = config.upstream_pool_size;
        let upstream_connect = Duration::from_millis(config.upstream_connect_timeout_ms);
        let upstream_keep_alive = Duration::from_secs(config.upstream_keep_alive_seconds);
        let (auth_ep, rl_ep) = (auth_endpoint.clone(), ratelimit_endpoint.clone());
        let (fail_policy, coalesce) = (config.ratelimit_fail_policy, config.ratelimit_coalesce);
        let lease_max = config.ratelimit_lease_max;
        let worker_metrics = Arc::clone(&metrics);
        let server = HttpServer::new(move || {
            let worker = Worker {
                upstreams: upstream::UpstreamClient::new(
                    pool,
                    upstream_connect,
                    upstream_keep_alive,
                ),
                auth: rpc::auth::auth_client::AuthClient::new(auth_ep.connect_lazy()),
                limiter: ratelimit::Limiter::new(
                    rpc::ratelimit::rate_limit_client::RateLimitClient::new(rl_ep.connect_lazy()),
                    fail_policy,
                    coalesce,
                    lease_max,
                    Arc::clone(&worker_metrics),
                ),
            };
            App::new()
                .app_data(shared.clone())
                .app_data(web::Data::new(worker))
                .default_service(web::to(proxy::handle))
                .wrap(Condition::new(otel, telemetry::tracing_logger()))
                .wrap(Condition::new(otel, from_fn(insert_request_id)))
        })
        .workers(workers)
        .backlog(4096)
        .keep_alive(Duration::from_secs(config.keep_alive_seconds))
        .client_request_timeout(Duration::from_millis(config.client_request_timeout_ms))
        .client_disconnect_timeout(Duration::from_millis(config.client_disconnect_timeout_ms))
        .max_connection_rate(config.max_connection_rate)
        .max_connections(config.max_connections)
        .shutdown_timeout(config.shutdown_timeout_seconds)
        .disable_signals()
        .listen(listener)?
        .run();

        let readiness = Arc::new(internal::readiness(
            auth_endpoint,
            ratelimit_endpoint,
            Arc::clone(&draining),
        ));
        let kit_metrics = Arc::new(internal::metrics(&metrics, &cache));
        let internal_listener = TcpListener::bind(&config.internal_listen)?;
        let internal_port = internal_listener.local_addr()?.port();
        let internal = HttpServer::new(move || {
            App::new()
                .configure(service_kit::observability_routes(
                    Arc::clone(&readiness),
                    Arc::clone(&kit_metrics),
                ))
                .wrap(kit_metrics.request_metrics())
        })
        .workers(1)
        .shutdown_timeout(1)
        .disable_signals()
        .listen(internal_listener)?
        .run();
        let stopper = Stopper {
            public: server.handle(),
            internal: internal.handle(),
            draining,
        };
        Ok(Self {
            port,
            internal_port,
            server,
            internal,
            stopper,
            revocations,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn internal_port(&self) -> u16 {
        self.internal_port
    }

    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Runs both listeners until [`Stopper::stop`] completes.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let (public, internal) = futures_util::future::join(self.server, self.internal).await;
        self.revocations.abort();
        public.and(internal)
    }

    /// Runs until SIGTERM or Ctrl-C, then shuts down gracefully.
    pub async fn run_until_signal(self) -> std::io::Result<()> {
        let stopper = self.stopper();
        tokio::spawn(async move {
            service_kit::shutdown::signal().await;
            tracing::info!("shutting down: draining in-flight requests");
            stopper.stop().await;
        });
        self.run_until_stopped().await
    }
}

/// Puts the request id on the request before tracing-actix-web's root span reads it.
async fn insert_request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = proxy::incoming_request_id(req.headers());
    req.extensions_mut().insert(id);
    next.call(req).await
}

fn grpc_endpoint(url: &str, config: &Config, timeout: Duration) -> anyhow::Result<Endpoint> {
    Ok(Endpoint::from_shared(url.to_owned())?
        .connect_timeout(config.grpc_connect_timeout())
        .timeout(timeout)
        .tcp_nodelay(true)
        .http2_keep_alive_interval(Duration::from_secs(20))
        .keep_alive_timeout(Duration::from_secs(5)))
}
