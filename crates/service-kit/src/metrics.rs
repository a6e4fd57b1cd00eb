//! Prometheus metrics with `prometheus-client` (see the README for why).
//!
//! Every service gets, from [`Metrics::new`]:
//! - `http_server_requests_total{method,route,status}` and
//!   `http_server_request_duration_seconds{method,route}` from the
//!   [`RequestMetrics`] middleware; `route` is the matched route *pattern*
//!   (`/v1/customers/{id}`), or a [`RouteLabel`] a handler set, or `unmatched`
//!   — never the raw path, so the label set stays bounded;
//! - `process_cpu_seconds_total`, `process_resident_memory_bytes`,
//!   `process_open_fds`, `process_start_time_seconds` (read from `/proc`);
//! - `build_info{service,version} 1`.
//!
//! A service registers its own metrics into [`Metrics::registry_mut`] while it
//! builds, then shares the `Metrics` (read-only) with its workers.

mod process;

use actix_web::{
    HttpMessage, HttpResponse,
    body::MessageBody,
    dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
    web,
};
use futures_util::future::LocalBoxFuture;
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{
        counter::Counter,
        family::Family,
        histogram::{Histogram, exponential_buckets},
        info::Info,
    },
    registry::{Registry, Unit},
};
use std::{
    future::{Ready, ready},
    rc::Rc,
    sync::Arc,
    time::Instant,
};

/// The content type of [`render`]'s body (OpenMetrics text, which Prometheus reads).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Buckets of request latency: 0.5 ms … ~16 s, doubling.
pub fn latency_buckets() -> impl Iterator<Item = f64> {
    exponential_buckets(0.0005, 2.0, 16)
}

/// A histogram with [`latency_buckets`] (for `Family::new_with_constructor`).
pub fn latency_histogram() -> Histogram {
    Histogram::new(latency_buckets())
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
    state: &'static str,
}

#[derive(Debug)]
struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
}

/// The registry of one service.
pub struct Metrics {
    registry: Registry,
    http: Arc<HttpMetrics>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// A registry with the request, process and `build_info` metrics of `service`.
    pub fn new(service: &'static str) -> Self {
        let mut registry = Registry::default();
        let http = Arc::new(HttpMetrics {
            requests: Family::default(),
            duration: Family::new_with_constructor(latency_histogram),
        });
        registry.register(
            "http_server_requests",
            "HTTP requests answered, by method, route pattern and status",
            http.requests.clone(),
        );
        registry.register_with_unit(
            "http_server_request_duration",
            "Time from the request head to the response head, by method and route pattern",
            Unit::Seconds,
            http.duration.clone(),
        );
        registry.register(
            "build",
            "The running build",
            Info::new(vec![
                ("service", service.to_owned()),
                ("version", env!("CARGO_PKG_VERSION").to_owned()),
            ]),
        );
        registry.register_collector(Box::new(process::ProcessCollector::new()));
        Self { registry, http }
    }

    /// Where a service registers its own metrics while it builds.
    pub fn registry_mut(&mut self) -> &mut Registry {
        &mut self.registry
    }

    /// Registers `db_pool_connections{pool,state="idle"|"in_use"}` and
    /// `db_pool_max_connections{pool}` read from a deadpool pool at each scrape.
    pub fn register_pool<F>(&mut self, pool: &'static str, usage: F)
    where
        F: Fn() -> PoolUsage + Send + Sync + 'static,
    {
        self.registry
            .register_collector(Box::new(process::PoolCollector::new(pool, usage)));
    }

    /// Registers a counter family `{name}_total{{{label}="…"}}` whose values
    /// `read` returns at each scrape (for counts a service already keeps in atomics).
    pub fn register_counters_fn<F>(
        &mut self,
        name: &'static str,
        help: &'static str,
        label: &'static str,
        read: F,
    ) where
        F: Fn() -> Vec<(&'static str, u64)> + Send + Sync + 'static,
    {
        self.register_fn(name, help, label, true, read);
    }

    /// Registers a gauge family `{name}{{{label}="…"}}` read at each scrape.
    pub fn register_gauges_fn<F>(
        &mut self,
        name: &'static str,
        help: &'static str,
        label: &'static str,
        read: F,
    ) where
        F: Fn() -> Vec<(&'static str, u64)> + Send + Sync + 'static,
    {
        self.register_fn(name, help, label, false, read);
    }

    fn register_fn<F>(
        &mut self,
        name: &'static str,
        help: &'static str,
        label: &'static str,
        counter: bool,
        read: F,
    ) where
        F: Fn() -> Vec<(&'static str, u64)> + Send + Sync + 'static,
    {
        self.registry
            .register_collector(Box::new(process::FnCollector {
                name,
                help,
                label,
                counter,
                read,
            }));
    }

    /// The middleware recording the request metrics.
    pub fn request_metrics(&self) -> RequestMetrics {
        RequestMetrics {
            http: Arc::clone(&self.http),
        }
    }

    /// The registry in OpenMetrics text.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "metrics encoding failed");
        }
        out
    }
}

/// Connections of a pool at one instant (deadpool's `Status`).
#[derive(Debug, Clone, Copy)]
pub struct PoolUsage {
    pub max_size: usize,
    /// Open connections (idle + in use).
    pub size: usize,
    /// Idle connections.
    pub available: usize,
}

/// `GET /metrics` (needs `web::Data<Metrics>`).
pub async fn render(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(metrics.encode())
}

/// Set by a handler that serves many paths without an actix route pattern
/// (the gateway's proxy) to name the route in the request metrics.
#[derive(Debug, Clone)]
pub struct RouteLabel(pub Arc<str>);

/// Actix middleware recording `http_server_requests_total` and
/// `http_server_request_duration_seconds`.
#[derive(Debug, Clone)]
pub struct RequestMetrics {
    http: Arc<HttpMetrics>,
}

impl<S, B> Transform<S, ServiceRequest> for RequestMetrics
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Transform = RequestMetricsMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestMetricsMiddleware {
            service: Rc::new(service),
            http: Arc::clone(&self.http),
        }))
    }
}

pub struct RequestMetricsMiddleware<S> {
    service: Rc<S>,
    http: Arc<HttpMetrics>,
}

fn method_label(m: &actix_web::http::Method) -> &'static str {
    use actix_web::http::Method as M;
    match *m {
        M::GET => "GET",
        M::POST => "POST",
        M::PUT => "PUT",
        M::PATCH => "PATCH",
        M::DELETE => "DELETE",
        M::HEAD => "HEAD",
        M::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

impl<S, B> Service<ServiceRequest> for RequestMetricsMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<B>;
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let started = Instant::now();
        let method = method_label(req.method());
        let service = Rc::clone(&self.service);
        let http = Arc::clone(&self.http);
        Box::pin(async move {
            let result = service.call(req).await;
            let (route, status) = match &result {
                Ok(res) => {
                    let route = res
                        .request()
                        .extensions()
                        .get::<RouteLabel>()
                        .map(|l| l.0.to_string())
                        .or_else(|| res.request().match_pattern())
                        .unwrap_or_else(|| "unmatched".to_owned());
                    (route, res.status().as_u16())
                }
                Err(e) => (
                    "unmatched".to_owned(),
                    e.as_response_error().status_code().as_u16(),
                ),
            };
            http.duration
                .get_or_create(&RouteLabels {
                    method,
                    route: route.clone(),
                })
                .observe(started.elapsed().as_secs_f64());
            http.requests
                .get_or_create(&RequestLabels {
                    method,
                    route,
                    status,
                })
                .inc();
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{App, test as atest};

    async fn ok() -> HttpResponse {
        HttpResponse::Ok().finish()
    }

    #[actix_web::test]
    async fn requests_are_counted_by_route_pattern_with_process_metrics_and_build_info() {
        let mut metrics = Metrics::new("sample");
        metrics.register_pool("postgres", || PoolUsage {
            max_size: 8,
            size: 3,
            available: 1,
        });
        let metrics = web::Data::new(metrics);
        let app = atest::init_service(
            App::new()
                .app_data(metrics.clone())
                .route("/items/{id}", web::get().to(ok))
                .route("/metrics", web::get().to(render))
                .wrap(metrics.request_metrics()),
        )
        .await;
        for id in ["a", "b"] {
            let req = atest::TestRequest::get()
                .uri(&format!("/items/{id}"))
                .to_request();
            atest::call_service(&app, req).await;
        }
        let req = atest::TestRequest::get().uri("/nowhere").to_request();
        atest::call_service(&app, req).await;
        let res =
            atest::call_service(&app, atest::TestRequest::get().uri("/metrics").to_request()).await;
        assert_eq!(res.headers().get("content-type").unwrap(), CONTENT_TYPE);
        let text = String::from_utf8(atest::read_body(res).await.to_vec()).unwrap();
        for expected in [
            "http_server_requests_total{method=\"GET\",route=\"/items/{id}\",status=\"200\"} 2",
            "http_server_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
            "http_server_request_duration_seconds_bucket{",
            "http_server_request_duration_seconds_count{method=\"GET\",route=\"/items/{id}\"} 2",
            "build_info{service=\"sample\",version=\"",
            "process_cpu_seconds_total ",
            "process_resident_memory_bytes ",
            "process_open_fds ",
            "process_start_time_seconds ",
            "db_pool_connections{pool=\"postgres\",state=\"in_use\"} 2",
            "db_pool_connections{pool=\"postgres\",state=\"idle\"} 1",
            "db_pool_max_connections{pool=\"postgres\"} 8",
        ] {
            assert!(text.contains(expected), "{expected} missing in\n{text}");
        }
        assert!(!text.contains("/items/a"), "raw paths must not be labels");
    }
}
