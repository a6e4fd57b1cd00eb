//! The service kit: every service's `main` stands on it.
//!
//! - [`config`]: typed configuration (defaults → `CONFIG_FILE` TOML →
//!   `PREFIX__FIELD` environment), one vocabulary for the common parts
//!   ([`config::DatabaseConfig`], [`config::RedisConfig`], [`config::OtelConfig`],
//!   `listen`, `shutdown_timeout_seconds`, `environment`), unknown keys refused,
//!   secrets redacted, development secrets refused in production.
//! - [`cli`]: the `serve | migrate | <service-specific>` command line.
//! - [`start`]: parses the command line, installs the rustls crypto provider,
//!   loads and checks the configuration, starts telemetry.
//! - [`health`]: `/healthz` (no I/O) and `/readyz` (registered checks), one body shape.
//! - [`metrics`]: a `prometheus-client` registry with request counters and
//!   latency histograms by route pattern, process metrics and `build_info`;
//!   `/metrics` renders it.
//! - [`shutdown`]: SIGTERM/Ctrl-C, and the grace period every server gets.
//! - [`cache`]: the one in-process cache type (moka), revocation-safe.

pub mod cache;
pub mod cli;
pub mod config;
#[cfg(feature = "db")]
pub mod database;
pub mod health;
pub mod metrics;
pub mod shutdown;

pub use cli::{Command, NoExtra};
pub use config::{ServiceConfig, load_checked};

use actix_web::web;
use std::sync::Arc;

/// What [`start`] hands to `main`: the command to run, the checked
/// configuration, and the telemetry guard (keep it alive until exit).
pub struct Started<C, E: clap::Subcommand> {
    pub command: Command<E>,
    pub config: C,
    pub telemetry: telemetry::Guard,
}

/// Parses the command line, installs the rustls crypto provider (once per
/// process), loads the configuration (refusing unknown keys, and development
/// secrets when `environment = production`) and starts telemetry.
pub fn start<C, E>() -> anyhow::Result<Started<C, E>>
where
    C: ServiceConfig,
    E: clap::Subcommand,
{
    let cli = <cli::Cli<E> as clap::Parser>::parse();
    install_crypto_provider();
    let command = cli.command.unwrap_or(Command::Serve);
    // Unknown keys are refused for every command; development secrets only
    // stop `serve` (a migration Job carries no secrets but the database URL).
    let config: C = match command {
        Command::Serve => load_checked()?,
        _ => config::load(C::PREFIX)?,
    };
    let telemetry = telemetry::init_with_endpoint(C::SERVICE, config.otel().endpoint());
    Ok(Started {
        command,
        config,
        telemetry,
    })
}

/// Installs aws-lc-rs as rustls' process-wide crypto provider. Idempotent:
/// later calls (tests start many services in one process) are no-ops.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

/// Registers `/healthz`, `/readyz` and `/metrics` on an actix app or scope.
pub fn observability_routes(
    readiness: Arc<health::Readiness>,
    metrics: Arc<metrics::Metrics>,
) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::from(readiness))
            .app_data(web::Data::from(metrics))
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .route("/metrics", web::get().to(metrics::render));
    }
}
