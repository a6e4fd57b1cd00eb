//! The proxy handler: route → authenticate → rate limit → stream to the
//! upstream and back.
//!
//! Bodies are never buffered: the request payload is handed to the upstream
//! client as a stream (counted against the route's body limit, cut off with 413
//! beyond it) and the upstream's response body is handed to actix as a stream
//! (backpressure from the client's socket pauses reading from the upstream).
//! Every response carries `X-Request-Id`, and, once ratelimit decided, the
//! rate-limit headers — also on errors raised after that point.

use crate::{
    authn::{self, AuthCache, Authenticated},
    config::AuthMode,
    metrics::{Metrics, UpstreamError},
    ratelimit::{Decision, Limiter, Verdict},
    route_table::{Lookup, Route, RouteTable, normalize_path},
    static_site::StaticSites,
    trace,
};
use actix_http::body::SizedStream;
use actix_web::{
    HttpRequest, HttpResponse,
    error::PayloadError,
    http::{
        Method, StatusCode, Version,
        header::{self, HeaderMap, HeaderName, HeaderValue},
    },
    web,
};
use bytes::Bytes;
use error_envelope::{ApiError, Dialect, RequestId, codes};
use futures_util::Stream;
use http1_client::{Client as UpstreamClient, RequestBody, RequestHead, SendError};
use rpc::auth::auth_client::AuthClient;
use std::{
    cell::Cell,
    net::IpAddr,
    pin::Pin,
    rc::Rc,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    task::{Context, Poll},
    time::Instant,
};
use tonic::transport::Channel;
use tracing::Instrument;

/// State shared by all workers.
pub struct Shared {
    pub table: RouteTable,
    pub cache: Arc<AuthCache>,
    pub metrics: Arc<Metrics>,
    pub trusted_proxies: Vec<IpAddr>,
    pub access_log: bool,
    /// Set on SIGTERM: responses then close their connection so clients reconnect elsewhere.
    pub draining: Arc<AtomicBool>,
    /// Open a root span per request here (when tracing-actix-web's is not installed).
    pub own_root_span: bool,
    /// Bound on the request target plus headers (431 beyond).
    pub max_header_bytes: usize,
    /// Local port of a host listener → the host its requests are routed as.
    pub fixed_hosts: Vec<(u16, String)>,
    /// Static files answered before the route table.
    pub static_sites: StaticSites,
}

/// Per-worker clients (each worker has its own keep-alive pools to the
/// upstreams and its own HTTP/2 connections to auth and ratelimit).
pub struct Worker {
    pub upstreams: Rc<UpstreamClient>,
    pub auth: AuthClient<Channel>,
    pub limiter: Rc<Limiter>,
}

/// The tier of unauthenticated callers (rate limited by client IP).
static ANONYMOUS: std::sync::LazyLock<Arc<str>> =
    std::sync::LazyLock::new(|| Arc::from("anonymous"));
static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");
static X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
static X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
static X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// The default service of the public app: every request goes through here.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    shared: web::Data<Shared>,
    worker: web::Data<Worker>,
) -> HttpResponse {
    let started = Instant::now();
    let request_id = RequestId::of(&req).unwrap_or_else(|| incoming_request_id(req.headers()));
    let span = if shared.own_root_span {
        tracing::info_span!("request", request_id = %request_id, method = %req.method(), path = req.uri().path())
    } else {
        tracing::Span::none()
    };
    let host = shared.host_of(&req);
    // Routed (and forwarded) on the normalised path; a refused one routes on the raw path
    // for its error's dialect, then is answered 400.
    let path = normalize_path(req.uri().path());
    let (route, dialect) = match shared
        .table
        .lookup(host, path.as_deref().unwrap_or(req.uri().path()))
    {
        Lookup::Route(r) => (Some(Arc::clone(r)), r.dialect),
        Lookup::UnknownPath(d) => (None, d),
        Lookup::UnknownHost => (None, Dialect::Admin),
    };
    let mut decision = None;
    let result = if let Some(page) = shared.static_sites.serve(host, &req).await {
        page
    } else {
        match &route {
            Some(_) if let Err(reason) = &path => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                codes::INVALID_REQUEST,
                *reason,
            )),
            Some(route) => {
                forward(
                    &req,
                    path.as_deref().unwrap_or(req.uri().path()),
                    payload,
                    &shared,
                    &worker,
                    route,
                    &request_id,
                    &mut decision,
                )
                .instrument(span.clone())
                .await
            }
            None => Err(ApiError::not_found("route")),
        }
    };
    // The rest is synchronous: its log lines (error rendering, access log) carry the request's span.
    let _entered = span.enter();
    let mut res = match result {
        Ok(res) => res,
        Err(err) => err.render(dialect, request_id.as_str()),
    };
    if let Some(d) = &decision {
        d.write_headers(res.headers_mut());
    }
    if let Ok(v) = HeaderValue::from_str(request_id.as_str()) {
        res.headers_mut().insert(X_REQUEST_ID.clone(), v);
    }
    if shared.draining.load(Ordering::Relaxed) {
        res.head_mut()
            .set_connection_type(actix_http::ConnectionType::Close);
    }
    let elapsed = started.elapsed();
    shared.metrics.observe(
        route.as_ref().map(|r| r.index),
        res.status().as_u16(),
        elapsed,
    );
    if shared.access_log {
        tracing::info!(
            request_id = %request_id,
            route = route.as_ref().map_or("unmatched", |r| r.name.as_str()),
            method = %req.method(),
            path = req.uri().path(),
            status = res.status().as_u16(),
            elapsed_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        );
    }
    res
}

#[expect(
    clippy::too_many_arguments,
    reason = "the request, its normalised path, the per-worker and shared state, and the decision it reports back"
)]
async fn forward(
    req: &HttpRequest,
    path: &str,
    payload: web::Payload,
    shared: &Shared,
    worker: &Worker,
    route: &Route,
    request_id: &RequestId,
    decision: &mut Option<Decision>,
) -> Result<HttpResponse, ApiError> {
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(n, v)| n.as_str().len() + v.len() + 4)
        .sum();
    if header_bytes + req.uri().path_and_query().map_or(0, |p| p.as_str().len())
        > shared.max_header_bytes
    {
        return Err(ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            codes::INVALID_REQUEST,
            format!(
                "the request line and headers exceed {} bytes",
                shared.max_header_bytes
            ),
        ));
    }
    let content_length = match req.headers().get(header::CONTENT_LENGTH) {
        None => None,
        Some(v) => Some(
            http1_client::parse_content_length(v.as_bytes().trim_ascii()).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    codes::INVALID_REQUEST,
                    "invalid Content-Length",
                )
            })?,
        ),
    };
    if content_length.is_some_and(|n| n > route.body_limit) {
        return Err(ApiError::payload_too_large(route.body_limit as usize));
    }
    let (peer, forwarded_for, proto) = client_address(req, &shared.trusted_proxies);

    // Authentication and the rate-limit descriptor.
    let (authenticated, subject, tier): (Option<Arc<Authenticated>>, Arc<str>, Arc<str>) =
        match route.auth {
            AuthMode::Bearer => {
                let token = authn::bearer_token(req.headers().get(header::AUTHORIZATION))?;
                let a = authn::authenticate(
                    &shared.cache,
                    &shared.metrics,
                    &worker.auth,
                    token,
                    route.product,
                    route.rpc_product(),
                    &route.audience,
                )
                .await?;
                let (subject, tier) = (a.key_id.clone(), a.tier.clone());
                (Some(a), subject, tier)
            }
            AuthMode::None => (None, format!("ip:{peer}").into(), Arc::clone(&ANONYMOUS)),
        };
    let class = Arc::clone(route.class(req.method()));
    match worker.limiter.check(subject, tier, class).await {
        Verdict::Allow(d) => *decision = d,
        Verdict::Refuse(d, err) => {
            *decision = Some(d);
            return Err(err);
        }
        Verdict::Unavailable(err) => return Err(err),
    }

    // The upstream request.
    let span = tracing::info_span!("upstream", otel.kind = "client", route = %route.name);
    let incoming_trace = req
        .headers()
        .get(&TRACEPARENT)
        .and_then(|v| v.to_str().ok());
    // The normalised path with the query as it came.
    let normalized_target;
    let target = match req.uri().query() {
        _ if path == req.uri().path() => req.uri().path_and_query().map_or("/", |p| p.as_str()),
        Some(query) => {
            normalized_target = format!("{path}?{query}");
            &normalized_target
        }
        None => path,
    };
    let mut head = RequestHead::new(
        req.method().as_str(),
        &route.upstream.base_path,
        target,
        &route.upstream.authority,
    );
    copy_headers(req.headers(), &mut head);
    if let Some(a) = &authenticated {
        head.header("authorization", a.authorization.as_bytes());
    }
    head.header("x-request-id", request_id.as_str().as_bytes());
    head.header("x-forwarded-for", forwarded_for.as_bytes());
    head.header("x-forwarded-proto", proto.as_bytes());
    if let Some(host) = req.headers().get(header::HOST) {
        head.header("x-forwarded-host", host.as_bytes());
    }
    let traceparent = span.in_scope(|| trace::outgoing(incoming_trace, !shared.own_root_span));
    head.header("traceparent", traceparent.as_bytes());
    if content_length == Some(0) {
        head.header("content-length", b"0");
    }

    let overflow = Rc::new(Cell::new(false));
    let limited = Limited {
        inner: payload,
        left: route.body_limit,
        overflow: Rc::clone(&overflow),
    };
    let streamed = req.headers().contains_key(header::TRANSFER_ENCODING)
        || (req.version() == Version::HTTP_2
            && content_length.is_none()
            && !matches!(
                *req.method(),
                Method::GET | Method::HEAD | Method::OPTIONS | Method::DELETE
            ));
    let body = match content_length {
        Some(n) if n > 0 => RequestBody::Stream {
            inner: Box::pin(limited),
            length: Some(n),
        },
        None if streamed => RequestBody::Stream {
            inner: Box::pin(limited),
            length: None,
        },
        _ => RequestBody::Empty,
    };
    let sent = worker
        .upstreams
        .send(&route.upstream, head, body, route.timeout)
        .instrument(span)
        .await;
    let mut upstream = match sent {
        Ok(r) => r,
        Err(_) if overflow.get() => {
            return Err(ApiError::payload_too_large(route.body_limit as usize));
        }
        Err(e) => return Err(upstream_error(&shared.metrics, route, e)),
    };

    // The response: whole when it came with its head, streamed otherwise.
    let status = StatusCode::from_u16(upstream.status).unwrap_or(StatusCode::BAD_GATEWAY);
    let no_body = *req.method() == Method::HEAD
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED;
    let mut res = if *req.method() == Method::HEAD {
        // HEAD keeps the upstream's Content-Length with no body after it.
        HttpResponse::build(status).body(SizedStream::new(
            upstream.content_length.unwrap_or(0),
            futures_util::stream::empty::<Result<Bytes, PayloadError>>(),
        ))
    } else if no_body {
        // 204/304: no body, whatever length the upstream announced (a 304 keeps its
        // Content-Length header below, which describes the representation).
        HttpResponse::build(status).finish()
    } else if let Some(whole) = upstream.body.complete() {
        HttpResponse::build(status).body(whole)
    } else {
        HttpResponse::build(status).body(upstream.body)
    };
    let headers = res.headers_mut();
    // The upstream's headers, then X-Request-Id and five rate-limit headers.
    headers.reserve(upstream.headers.len() + 6);
    for (name, value) in upstream.headers {
        let n = name.as_str();
        let length_of_body = name == header::CONTENT_LENGTH && status != StatusCode::NOT_MODIFIED;
        if is_hop_by_hop(n) || length_of_body || name == X_REQUEST_ID {
            continue;
        }
        headers.append(name, value);
    }
    Ok(res)
}

fn upstream_error(metrics: &Metrics, route: &Route, e: SendError) -> ApiError {
    let detail = format!("upstream {}: {e}", route.name);
    match e {
        SendError::Timeout => {
            metrics.upstream_error(route.index, UpstreamError::Timeout);
            ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                codes::UPSTREAM_TIMEOUT,
                "the upstream service timed out",
            )
            .with_log_detail(detail)
        }
        SendError::Connect(_) | SendError::AtCapacity(_) => {
            metrics.upstream_error(route.index, UpstreamError::Unavailable);
            ApiError::service_unavailable(
                codes::UPSTREAM_UNAVAILABLE,
                "the upstream service is unavailable",
            )
            .with_log_detail(detail)
        }
        // The client's fault, not the upstream's: no upstream error counted.
        SendError::RequestBodyTimeout => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            codes::REQUEST_TIMEOUT,
            "the request body was not received in time",
        )
        .with_log_detail(detail),
        SendError::InvalidRequest(reason) => ApiError::new(
            StatusCode::BAD_REQUEST,
            codes::INVALID_REQUEST,
            format!("the request cannot be forwarded: {reason}"),
        )
        .with_log_detail(detail),
        _ => {
            metrics.upstream_error(route.index, UpstreamError::BadGateway);
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                codes::BAD_GATEWAY,
                "the upstream service answered badly",
            )
            .with_log_detail(detail)
        }
    }
}

/// A well-formed incoming `X-Request-Id`, else a new one.
pub fn incoming_request_id(headers: &HeaderMap) -> RequestId {
    headers
        .get(&X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(RequestId::parse)
        .unwrap_or_else(new_request_id)
}

/// `req_` + 32 hex digits laid out like `RequestId::generate` (48-bit Unix
/// milliseconds, then random bits, so ids sort by time), but drawn from the
/// thread-local generator: no `getrandom` system call per request.
fn new_request_id() -> RequestId {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let random: u128 = rand::random::<u128>() & ((1u128 << 80) - 1);
    let value = (millis & ((1u128 << 48) - 1)) << 80 | random;
    let mut id = *b"req_00000000000000000000000000000000";
    trace::hex_into(&mut id[4..], &value.to_be_bytes());
    std::str::from_utf8(&id)
        .ok()
        .and_then(RequestId::parse)
        .unwrap_or_else(RequestId::generate)
}

impl Shared {
    /// The host a request is routed by: the fixed host of the host listener it
    /// arrived on, else the one the client asked for.
    fn host_of<'a>(&'a self, req: &'a HttpRequest) -> &'a str {
        if !self.fixed_hosts.is_empty() {
            let port = req.app_config().local_addr().port();
            if let Some((_, host)) = self.fixed_hosts.iter().find(|(p, _)| *p == port) {
                return host;
            }
        }
        host_of(req)
    }
}

/// The Host the client asked for (HTTP/1 `Host`, HTTP/2 `:authority`).
fn host_of(req: &HttpRequest) -> &str {
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
        .unwrap_or("")
}

/// (client IP, `X-Forwarded-For` to send, `X-Forwarded-Proto` to send).
///
/// Forwarding headers are believed only from `trusted_proxies`; from anyone
/// else they are replaced, so a client cannot choose the IP it is rate limited by.
fn client_address(req: &HttpRequest, trusted: &[IpAddr]) -> (IpAddr, String, &'static str) {
    let peer = req
        .peer_addr()
        .map_or(IpAddr::from([127, 0, 0, 1]), |a| a.ip());
    if !trusted.contains(&peer) {
        return (peer, peer.to_string(), "http");
    }
    let incoming: Vec<&str> = req
        .headers()
        .get_all(&X_FORWARDED_FOR)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let client = incoming
        .iter()
        .rev()
        .filter_map(|s| s.parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer);
    let mut chain = incoming.join(", ");
    if !chain.is_empty() {
        chain.push_str(", ");
    }
    chain.push_str(&peer.to_string());
    let proto = match req.headers().get(&X_FORWARDED_PROTO).map(|v| v.as_bytes()) {
        Some(b"https") => "https",
        _ => "http",
    };
    (client, chain, proto)
}

/// Copies end-to-end headers into the upstream request: hop-by-hop ones (and
/// those `Connection` names) are dropped, and so are the ones the gateway sets itself.
fn copy_headers(from: &HeaderMap, to: &mut RequestHead) {
    let has_connection = from.contains_key(header::CONNECTION);
    let named_by_connection = |name: &str| {
        from.get_all(header::CONNECTION).any(|v| {
            v.as_bytes()
                .split(|b| *b == b',')
                .any(|token| token.trim_ascii().eq_ignore_ascii_case(name.as_bytes()))
        })
    };
    for (name, value) in from {
        let skip = is_hop_by_hop(name.as_str())
            || *name == header::HOST
            || *name == header::CONTENT_LENGTH
            || *name == header::AUTHORIZATION
            || *name == header::FORWARDED
            || *name == header::EXPECT
            || *name == X_REQUEST_ID
            || *name == TRACEPARENT
            || *name == X_FORWARDED_FOR
            || *name == X_FORWARDED_PROTO
            || *name == X_FORWARDED_HOST
            || (has_connection && named_by_connection(name.as_str()));
        if !skip {
            to.header(name.as_str(), value.as_bytes());
        }
    }
}

/// Headers that describe one connection, never forwarded (names are lowercase).
fn is_hop_by_hop(name: &str) -> bool {
    matches!(
        name,
        "connection"
            | "keep-alive"
            | "proxy-connection"
            | "proxy-authenticate"
            | "proxy-authorization"
            | "te"
            | "trailer"
            | "transfer-encoding"
            | "upgrade"
    )
}

/// The request payload, cut off once it exceeds the route's limit.
struct Limited {
    inner: web::Payload,
    left: u64,
    overflow: Rc<Cell<bool>>,
}

impl Stream for Limited {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                let n = chunk.len() as u64;
                if n > self.left {
                    self.overflow.set(true);
                    return Poll::Ready(Some(Err(PayloadError::Overflow)));
                }
                self.left -= n;
                Poll::Ready(Some(Ok(chunk)))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_well_formed_unique_and_sorted_by_time() {
        let a = new_request_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_request_id();
        assert!(
            a.as_str().starts_with("req_") && a.as_str().len() == 36,
            "{a}"
        );
        assert!(a.as_str() < b.as_str());
        let mut h = HeaderMap::new();
        h.insert(
            X_REQUEST_ID.clone(),
            HeaderValue::from_static("req_fromclient01"),
        );
        assert_eq!(incoming_request_id(&h).as_str(), "req_fromclient01");
        h.insert(X_REQUEST_ID.clone(), HeaderValue::from_static("bad id"));
        assert_ne!(incoming_request_id(&h).as_str(), "bad id");
    }

    #[test]
    fn hop_by_hop_and_gateway_headers_are_not_copied() {
        let mut from = HeaderMap::new();
        from.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, x-secret-hop"),
        );
        from.insert(
            HeaderName::from_static("x-secret-hop"),
            HeaderValue::from_static("1"),
        );
        from.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer copt_live_x"),
        );
        from.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        from.insert(X_FORWARDED_FOR.clone(), HeaderValue::from_static("6.6.6.6"));
        let mut to = RequestHead::new("GET", "", "/x", "up:80");
        copy_headers(&from, &mut to);
        let written = String::from_utf8(to.written().to_vec()).unwrap();
        assert_eq!(
            written,
            "GET /x HTTP/1.1\r\nhost: up:80\r\naccept: application/json\r\n"
        );
    }
}
