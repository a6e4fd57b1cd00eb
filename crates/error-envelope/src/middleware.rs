//! [`RequestContext`] middleware and the extractor configs that map actix's
//! errors into the envelope.

use crate::{ApiError, Dialect, ErrorCode, RequestId};
use actix_web::{
    Error, HttpMessage, HttpRequest, HttpResponse,
    body::{BoxBody, EitherBody, MessageBody},
    dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready},
    error::{JsonPayloadError, PathError, QueryPayloadError},
    http::{StatusCode, header},
    web,
};
use futures_util::future::LocalBoxFuture;
use serde_json::json;
use std::{
    future::{Ready, ready},
    rc::Rc,
};

const X_REQUEST_ID: header::HeaderName = header::HeaderName::from_static("x-request-id");

/// Middleware owning the request id and the rendering of every error.
///
/// Wrap it outermost (registered last with `.wrap`) so that errors raised by
/// inner middleware are rendered too.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext {
    dialect: Dialect,
}

impl RequestContext {
    pub fn new(dialect: Dialect) -> Self {
        Self { dialect }
    }
}

impl<S, B> Transform<S, ServiceRequest> for RequestContext
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = Error;
    type Transform = RequestContextMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(RequestContextMiddleware {
            service: Rc::new(service),
            dialect: self.dialect,
        }))
    }
}

pub struct RequestContextMiddleware<S> {
    service: Rc<S>,
    dialect: Dialect,
}

impl<S, B> Service<ServiceRequest> for RequestContextMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B, BoxBody>>;
    type Error = Error;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let request_id = req
            .headers()
            .get(X_REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .and_then(RequestId::parse)
            .unwrap_or_else(RequestId::generate);
        req.extensions_mut().insert(request_id.clone());
        let dialect = self.dialect;
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            // The request must not be cloned before routing (actix needs unique
            // ownership to fill in path parameters), so an `Err` is answered by
            // an error that carries the rendered envelope.
            let res = match service.call(req).await {
                Ok(res) => res,
                Err(err) => {
                    let api = to_api_error(err.as_response_error().status_code(), Some(&err));
                    let rendered = api.render(dialect, request_id.as_str());
                    return Err(
                        actix_web::error::InternalError::from_response(api, rendered).into(),
                    );
                }
            };
            let replacement = if let Some(err) = res.response().error() {
                Some(to_api_error(res.status(), Some(err)))
            } else if (res.status().is_client_error() || res.status().is_server_error())
                && !res.headers().contains_key(header::CONTENT_TYPE)
            {
                // A bare status from actix itself (unmatched route, wrong method, …).
                Some(to_api_error(res.status(), None))
            } else {
                None
            };
            match replacement {
                Some(api) => {
                    // Kept from the replaced answer: a 405's `Allow`, and CORS headers
                    // (a browser reads an error only with them).
                    let kept: Vec<_> = res
                        .headers()
                        .iter()
                        .filter(|(name, _)| {
                            *name == header::ALLOW
                                || *name == header::VARY
                                || name.as_str().starts_with("access-control-")
                        })
                        .map(|(n, v)| (n.clone(), v.clone()))
                        .collect();
                    let (req, _) = res.into_parts();
                    let mut rendered = api.render(dialect, request_id.as_str());
                    for (name, value) in kept {
                        rendered.headers_mut().insert(name, value);
                    }
                    Ok(ServiceResponse::new(req, rendered).map_into_right_body())
                }
                None => {
                    let mut res = res;
                    if let Ok(v) = header::HeaderValue::from_str(request_id.as_str()) {
                        res.headers_mut().insert(X_REQUEST_ID, v);
                    }
                    Ok(res.map_into_left_body())
                }
            }
        })
    }
}

/// Our own errors pass through; anything else is mapped by status to a stable code.
fn to_api_error(status: StatusCode, err: Option<&Error>) -> ApiError {
    if let Some(api) = err.and_then(|e| e.as_error::<ApiError>()) {
        return api.clone();
    }
    let cause = err.map(|e| e.to_string()).unwrap_or_default();
    match status {
        StatusCode::NOT_FOUND => ApiError::not_found("resource"),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::from_code(
            ErrorCode::MethodNotAllowed,
            "this method is not allowed on this resource",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::from_code(ErrorCode::PayloadTooLarge, "the request body is too large")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::from_code(
            ErrorCode::UnsupportedMediaType,
            "the request body must be application/json",
        ),
        s if s.is_client_error() => {
            ApiError::new(s, ErrorCode::InvalidRequest, "the request is invalid")
                .with_log_detail(cause)
        }
        _ => ApiError::internal(cause),
    }
}

/// A route answering `GET` and `HEAD` (actix sends a HEAD response without its body).
/// Routes grouped in one `web::resource` answer other methods with 405 and `Allow`.
pub fn get_or_head() -> actix_web::Route {
    web::route().guard(actix_web::guard::Any(actix_web::guard::Get()).or(actix_web::guard::Head()))
}

/// Default service for unmatched routes: 404 `not_found` in the envelope.
pub async fn not_found_handler(_req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("route"))
}

/// Registers JSON, query and path extractor configs whose errors are envelopes.
/// `json_limit` bounds JSON bodies (413 `payload_too_large` beyond).
pub fn extractor_configs(json_limit: usize) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(
            web::JsonConfig::default()
                .limit(json_limit)
                .error_handler(move |err, _req| json_error(err, json_limit).into()),
        )
        .app_data(web::QueryConfig::default().error_handler(|err, _req| query_error(err).into()))
        .app_data(web::PathConfig::default().error_handler(|err, _req| path_error(err).into()));
    }
}

fn json_error(err: JsonPayloadError, limit: usize) -> ApiError {
    match err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::payload_too_large(limit)
        }
        JsonPayloadError::ContentType => ApiError::from_code(
            ErrorCode::UnsupportedMediaType,
            "Content-Type must be application/json",
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            let message = e.to_string();
            let field = field_of_serde_message(&message).map(str::to_owned);
            let mut api = ApiError::from_code(ErrorCode::ValidationFailed, message.clone());
            if let Some(field) = field {
                api = api.with_details(json!({ "field": field }));
            }
            api
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::from_code(ErrorCode::InvalidJson, format!("invalid JSON: {e}"))
        }
        other => ApiError::from_code(ErrorCode::InvalidJson, "invalid JSON body")
            .with_log_detail(other.to_string()),
    }
}

fn query_error(err: QueryPayloadError) -> ApiError {
    ApiError::from_code(
        ErrorCode::InvalidRequest,
        format!("invalid query string: {err}"),
    )
}

fn path_error(err: PathError) -> ApiError {
    ApiError::not_found("resource").with_log_detail(err.to_string())
}

/// serde names the field in messages like "missing field `x`" or "unknown field `x`".
fn field_of_serde_message(message: &str) -> Option<&str> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(&message[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{App, test as atest, web};

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        name: String,
    }

    async fn create(_b: web::Json<Body>) -> HttpResponse {
        HttpResponse::Created().finish()
    }

    async fn fail() -> Result<HttpResponse, ApiError> {
        Err(ApiError::validation(
            "audience_id",
            "audience_id required for campaign creation",
        ))
    }

    #[actix_web::test]
    async fn errors_carry_the_header_request_id_in_both_dialects() {
        for dialect in [Dialect::Admin, Dialect::Generation] {
            let app = atest::init_service(
                App::new()
                    .configure(extractor_configs(64))
                    .route("/fail", web::get().to(fail))
                    .route("/create", web::post().to(create))
                    .default_service(web::to(not_found_handler))
                    .wrap(RequestContext::new(dialect)),
            )
            .await;
            for (req, status, code) in [
                (
                    atest::TestRequest::get().uri("/fail").to_request(),
                    400,
                    "validation_failed",
                ),
                (
                    atest::TestRequest::get().uri("/nope").to_request(),
                    404,
                    "not_found",
                ),
                (
                    atest::TestRequest::post()
                        .uri("/create")
                        .insert_header(("content-type", "application/json"))
                        .set_payload("{\"name\":1}")
                        .to_request(),
                    400,
                    "validation_failed",
                ),
                (
                    atest::TestRequest::post()
                        .uri("/create")
                        .insert_header(("content-type", "application/json"))
                        .set_payload("{not json")
                        .to_request(),
                    400,
                    "invalid_json",
                ),
                (
                    atest::TestRequest::post()
                        .uri("/create")
                        .insert_header(("content-type", "application/json"))
                        .set_payload(format!("{{\"name\":\"{}\"}}", "x".repeat(100)))
                        .to_request(),
                    413,
                    "payload_too_large",
                ),
                (
                    atest::TestRequest::delete().uri("/create").to_request(),
                    404,
                    "not_found",
                ),
            ] {
                let res = atest::call_service(&app, req).await;
                assert_eq!(res.status().as_u16(), status);
                let header_id = res
                    .headers()
                    .get("x-request-id")
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned();
                let body: serde_json::Value = atest::read_body_json(res).await;
                let (err, body_id) = match dialect {
                    Dialect::Admin => (&body["error"], &body["error"]["request_id"]),
                    Dialect::Generation => (&body["error"], &body["request_id"]),
                };
                assert_eq!(err["code"], code, "{body}");
                assert_eq!(body_id, &serde_json::Value::String(header_id));
            }
        }
    }

    #[actix_web::test]
    async fn a_well_formed_incoming_request_id_is_kept() {
        let app = atest::init_service(
            App::new()
                .route("/fail", web::get().to(fail))
                .wrap(RequestContext::new(Dialect::Admin)),
        )
        .await;
        let req = atest::TestRequest::get()
            .uri("/fail")
            .insert_header(("x-request-id", "req_fromclient123"))
            .to_request();
        let res = atest::call_service(&app, req).await;
        assert_eq!(
            res.headers().get("x-request-id").unwrap(),
            "req_fromclient123"
        );
        let body: serde_json::Value = atest::read_body_json(res).await;
        assert_eq!(body["error"]["request_id"], "req_fromclient123");
        assert_eq!(body["error"]["details"]["field"], "audience_id");
    }

    #[test]
    fn serde_field_names_are_extracted() {
        assert_eq!(
            field_of_serde_message("missing field `audience_id` at line 1"),
            Some("audience_id")
        );
        assert_eq!(field_of_serde_message("expected a string"), None);
    }
}
