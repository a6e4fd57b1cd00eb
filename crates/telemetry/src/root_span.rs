//! The root span of each HTTP request: tracing-actix-web's default fields
//! (method, route, status, `traceparent` continuation) plus the request id;
//! `http.target` is the path only, since query strings carry personal data.

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
};
use error_envelope::RequestId;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder, TracingLogger};

pub struct PlatformRootSpan;

impl RootSpanBuilder for PlatformRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = actix_web::HttpMessage::extensions(request)
            .get::<RequestId>()
            .map(|r| r.to_string())
            .unwrap_or_default();
        let span = tracing_actix_web::root_span!(request, request_id = %request_id);
        // Query strings carry filter values (emails, names): keep only the path.
        span.record("http.target", request.path());
        span
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// Wrap it inside [`error_envelope::RequestContext`] (register it first) so the id is known.
pub fn tracing_logger() -> TracingLogger<PlatformRootSpan> {
    TracingLogger::<PlatformRootSpan>::new()
}
