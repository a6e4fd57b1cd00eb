//! Sumeru Admin API v1 (seed `000`): the app factory used by `main` and the tests.
//!
//! [`Application::build`] migrates (when configured), binds the listener
//! (port 0 in tests) and returns the port and the server; `main` and the
//! integration tests both use it.

pub mod body;
pub mod config;
pub mod ids;
pub mod listing;
pub mod models;
pub mod money;
pub mod openapi;
pub mod routes;
pub mod schema;
pub mod seed;
pub mod stability;
pub mod time_fmt;
pub mod views;
pub mod writes;

use actix_web::{
    App, HttpServer,
    dev::{Server, Service},
    http::header::{HeaderName, HeaderValue},
    web,
};
use auth_core::jwt::JwtVerifier;
use error_envelope::{Dialect, RequestContext, extractor_configs, not_found_handler};
use query::CursorCodec;
use rpc::ratelimit::rate_limit_client::RateLimitClient;
use service_kit::{database, health::Readiness, metrics::Metrics};
use std::{net::TcpListener, sync::Arc, time::Duration};

pub use config::Config;

/// The service's migrations (the idempotency table first, copied from `crates/idempotency`).
pub const MIGRATIONS: diesel_migrations::EmbeddedMigrations = db::embed_migrations!("migrations");

/// Shared by all handlers of one worker.
pub struct AppState {
    pub pool: db::Pool,
    pub codec: CursorCodec,
    pub ratelimit: RateLimitClient<tonic::transport::Channel>,
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Builds the service with the JWKS verifier of the configuration.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let verifier = JwtVerifier::remote(config.jwks_url.clone(), config.audience.clone());
        Self::build_with(config, verifier).await
    }

    /// Builds the service with a given verifier (tests register `TestSigner::verifier("admin-api")`).
    pub async fn build_with(config: Config, verifier: JwtVerifier) -> anyhow::Result<Self> {
        let pool = database::open(&config.database, MIGRATIONS).await?;
        let mut metrics = Metrics::new("admin-api");
        database::register_metrics(&mut metrics, &pool);
        let metrics = Arc::new(metrics);
        let readiness = Arc::new(database::require_ready(Readiness::new(), &pool));
        let listener = TcpListener::bind(&config.listen)?;
        let port = listener.local_addr()?.port();
        let verifier = web::Data::new(verifier);
        let codec = CursorCodec::new(config.cursor_secret.expose());
        let timeout = Duration::from_millis(config.ratelimit_timeout_ms);
        let endpoint = tonic::transport::Endpoint::from_shared(config.ratelimit_url.clone())?
            .connect_timeout(timeout)
            .timeout(timeout);
        let body_limit = config.body_limit_bytes;
        if config.idempotency_purge_interval_seconds > 0 {
            idempotency::spawn_purge(
                pool.clone(),
                Duration::from_secs(config.idempotency_purge_interval_seconds),
            );
        }
        let app_pool = pool.clone();
        let mut server = HttpServer::new(move || {
            let state = web::Data::new(AppState {
                pool: app_pool.clone(),
                codec: codec.clone(),
                ratelimit: RateLimitClient::new(endpoint.connect_lazy()),
            });
            App::new()
                .app_data(state)
                .app_data(verifier.clone())
                .app_data(web::PayloadConfig::new(body_limit))
                .configure(extractor_configs(body_limit))
                .configure(service_kit::observability_routes(
                    Arc::clone(&readiness),
                    Arc::clone(&metrics),
                ))
                .configure(routes::configure)
                .default_service(web::to(not_found_handler))
                .wrap(telemetry::tracing_logger())
                .wrap(RequestContext::new(Dialect::Admin))
                .wrap(metrics.request_metrics())
                .wrap_fn(|req, srv| {
                    let method = req.method().as_str().to_owned();
                    let fut = srv.call(req);
                    async move {
                        let mut res = fut.await?;
                        let pattern = res.request().match_pattern();
                        let value = stability::header_for(&method, pattern.as_deref());
                        res.headers_mut().insert(
                            HeaderName::from_static(stability::HEADER),
                            HeaderValue::from_static(value),
                        );
                        Ok(res)
                    }
                })
        })
        .listen(listener)?
        .disable_signals()
        .shutdown_timeout(config.shutdown_timeout_seconds);
        if config.workers > 0 {
            server = server.workers(config.workers);
        }
        Ok(Self {
            port,
            server: server.run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM/Ctrl-C, then drains (`shutdown_timeout_seconds`).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        service_kit::shutdown::run_until_signal(self.server).await
    }
}
