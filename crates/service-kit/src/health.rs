//! `/healthz` and `/readyz`, one body shape for every service.
//!
//! - `GET /healthz`: liveness, no I/O: `200 {"status":"ok"}`.
//! - `GET /readyz`: runs every registered check (each bounded by
//!   [`CHECK_TIMEOUT`], all concurrently):
//!   `{"status":"ready"|"degraded"|"unavailable","checks":{"postgres":"ok","redis":"unavailable"}}`.
//!   A failing *required* check makes it `503 unavailable`; a failing
//!   *optional* check (the service still works without it) makes it
//!   `200 degraded`.

use actix_web::{HttpResponse, web};
use futures_util::future::{BoxFuture, join_all};
use serde_json::{Map, Value, json};
use std::{future::Future, time::Duration};

/// Upper bound of one readiness check.
pub const CHECK_TIMEOUT: Duration = Duration::from_millis(1000);

type Probe = Box<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>;

struct Check {
    name: &'static str,
    required: bool,
    probe: Probe,
}

/// The readiness checks a service registers at build time.
#[derive(Default)]
pub struct Readiness {
    checks: Vec<Check>,
    /// When set, a failing required check reports `degraded` with 200 instead
    /// of 503 (ratelimit's `ready_without_redis` under fail-open).
    never_unavailable: bool,
}

/// The outcome of [`Readiness::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub status: &'static str,
    pub checks: Vec<(&'static str, bool)>,
}

impl Report {
    pub fn http_status(&self) -> actix_web::http::StatusCode {
        if self.status == "unavailable" {
            actix_web::http::StatusCode::SERVICE_UNAVAILABLE
        } else {
            actix_web::http::StatusCode::OK
        }
    }

    pub fn body(&self) -> Value {
        let checks: Map<String, Value> = self
            .checks
            .iter()
            .map(|(name, ok)| {
                (
                    (*name).to_owned(),
                    Value::from(if *ok { "ok" } else { "unavailable" }),
                )
            })
            .collect();
        json!({ "status": self.status, "checks": checks })
    }
}

impl Readiness {
    pub fn new() -> Self {
        Self::default()
    }

    /// A dependency without which the service cannot answer (its database).
    pub fn require<F, Fut>(self, name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        self.add(name, true, probe)
    }

    /// A dependency the service degrades without (auth's Redis: revocations
    /// are delayed to cache TTLs).
    pub fn optional<F, Fut>(self, name: &'static str, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        self.add(name, false, probe)
    }

    /// Report a failing required check as `degraded` (200), never 503.
    pub fn never_unavailable(mut self, yes: bool) -> Self {
        self.never_unavailable = yes;
        self
    }

    fn add<F, Fut>(mut self, name: &'static str, required: bool, probe: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        self.checks.push(Check {
            name,
            required,
            probe: Box::new(move || Box::pin(probe())),
        });
        self
    }

    /// Runs every check concurrently, each bounded by [`CHECK_TIMEOUT`].
    pub async fn check(&self) -> Report {
        let results = join_all(self.checks.iter().map(|c| async move {
            let ok = matches!(
                tokio::time::timeout(CHECK_TIMEOUT, (c.probe)()).await,
                Ok(true)
            );
            (c, ok)
        }))
        .await;
        let required_down = results.iter().any(|(c, ok)| c.required && !ok);
        let any_down = results.iter().any(|(_, ok)| !ok);
        let status = if required_down && !self.never_unavailable {
            "unavailable"
        } else if any_down {
            "degraded"
        } else {
            "ready"
        };
        Report {
            status,
            checks: results.iter().map(|(c, ok)| (c.name, *ok)).collect(),
        }
    }
}

/// `GET /healthz`.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// `GET /readyz` (needs `web::Data<Readiness>`).
pub async fn readyz(readiness: web::Data<Readiness>) -> HttpResponse {
    let report = readiness.check().await;
    HttpResponse::build(report.http_status())
        .insert_header(("cache-control", "no-store"))
        .json(report.body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn required_down_is_unavailable_and_optional_down_is_degraded() {
        let r = Readiness::new()
            .require("postgres", || async { true })
            .optional("redis", || async { false });
        let report = r.check().await;
        assert_eq!(report.status, "degraded");
        assert_eq!(report.http_status().as_u16(), 200);
        assert_eq!(
            report.body(),
            json!({"status":"degraded","checks":{"postgres":"ok","redis":"unavailable"}})
        );

        let r = Readiness::new().require("postgres", || async { false });
        assert_eq!(r.check().await.http_status().as_u16(), 503);
        let r = Readiness::new()
            .require("redis", || async { false })
            .never_unavailable(true);
        assert_eq!(r.check().await.status, "degraded");
        assert_eq!(
            Readiness::new().check().await.body(),
            json!({"status":"ready","checks":{}})
        );
    }

    #[tokio::test]
    async fn a_hanging_check_times_out_as_down() {
        let r = Readiness::new().require("slow", std::future::pending::<bool>);
        let report = r.check().await;
        assert_eq!(report.checks, vec![("slow", false)]);
    }
}
