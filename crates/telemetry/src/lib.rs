//! Telemetry for every service.
//!
//! - [`init`]: JSON logs on stdout (level from `RUST_LOG`, default `info`),
//!   every line passed through [`redact`]; when `OTEL_EXPORTER_OTLP_ENDPOINT`
//!   is set, spans are exported over OTLP/gRPC and W3C `traceparent` is the
//!   propagator. Keep the returned [`Guard`] alive; dropping it flushes spans.
//! - [`tracing_logger`]: the actix middleware creating the root span of each
//!   request (continuing an incoming `traceparent`), with the request id.
//! - [`redact`]: masks API keys, bearer tokens, JWTs and signed-URL signatures.

use std::{borrow::Cow, io::Write, sync::LazyLock};
use tracing_subscriber::{
    EnvFilter, fmt::MakeWriter, layer::SubscriberExt, util::SubscriberInitExt,
};

mod root_span;
pub use root_span::{PlatformRootSpan, tracing_logger};

/// Flushes and shuts the OTLP exporter down when dropped.
pub struct Guard {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(p) = self.provider.take() {
            let _ = p.shutdown();
        }
    }
}

/// Installs the global subscriber for `service`. Call once, early in `main`.
pub fn init(service: &'static str) -> Guard {
    init_with_endpoint(service, std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok())
}

/// [`init`] exporting spans to `otlp_endpoint` (none: no export).
pub fn init_with_endpoint(service: &'static str, otlp_endpoint: Option<String>) -> Guard {
    init_with_writer(
        service,
        || RedactingWriter(std::io::stdout()),
        otlp_endpoint,
    )
}

/// [`init`] with another sink (tests capture logs through it) and an explicit OTLP endpoint.
pub fn init_with_writer<W>(
    service: &'static str,
    make_writer: W,
    otlp_endpoint: Option<String>,
) -> Guard
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let fmt = tracing_subscriber::fmt::layer()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_writer(make_writer);
    let provider = otlp_endpoint.and_then(|e| otlp_provider(service, e));
    let otel = provider.as_ref().map(|p| {
        use opentelemetry::trace::TracerProvider;
        tracing_opentelemetry::layer().with_tracer(p.tracer(service))
    });
    opentelemetry::global::set_text_map_propagator(
        opentelemetry_sdk::propagation::TraceContextPropagator::new(),
    );
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init();
    Guard { provider }
}

fn otlp_provider(
    service: &'static str,
    endpoint: String,
) -> Option<opentelemetry_sdk::trace::SdkTracerProvider> {
    use opentelemetry_otlp::WithExportConfig;
    let exporter = match opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
    {
        Ok(e) => e,
        Err(e) => {
            eprintln!("OTLP exporter disabled: {e}");
            return None;
        }
    };
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service)
        .build();
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build();
    opentelemetry::global::set_tracer_provider(provider.clone());
    Some(provider)
}

static SECRET_PATTERNS: LazyLock<regex::Regex> = LazyLock::new(|| {
    regex::Regex::new(concat!(
        r"(?P<key>(?:copt|sumi|sume)_(?:live|test)_)[A-Za-z0-9]{8,}",
        r"|(?P<bearer>[Bb]earer\s+)[A-Za-z0-9._~+/=-]{8,}",
        r"|eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
        r"|(?P<sig>(?:X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|sig|token)=)[^&\s\x22]+",
        r"|[A-Za-z0-9._%+-]+(?P<email>@[A-Za-z0-9.-]+\.[A-Za-z]{2,})",
    ))
    .unwrap_or_else(|e| unreachable!("static regex: {e}"))
});

/// Masks API keys (`copt_live_***`), bearer tokens, JWTs, signed-URL parameters
/// and the local part of email addresses (`***@example.com`).
pub fn redact(line: &str) -> Cow<'_, str> {
    SECRET_PATTERNS.replace_all(line, |caps: &regex::Captures<'_>| {
        for name in ["key", "bearer", "sig"] {
            if let Some(m) = caps.name(name) {
                return format!("{}***", m.as_str());
            }
        }
        if let Some(domain) = caps.name("email") {
            return format!("***{}", domain.as_str());
        }
        "***".to_owned()
    })
}

/// A writer that redacts each buffer before passing it on.
pub struct RedactingWriter<W>(pub W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(s) => self.0.write_all(redact(s).as_bytes())?,
            Err(_) => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_masked() {
        let line = r#"{"msg":"auth copt_live_aB3xY9zKqMnPwR2vT4uH7jL5sQ8eFc1g failed","h":"Bearer sumi_test_abcdefgh12345678abcdefgh12345678","url":"https://s3/x.png?X-Amz-Signature=deadbeef&X-Amz-Expires=60","jwt":"eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJrZXkifQ.c2lnbmF0dXJl"}"#;
        let out = redact(line);
        assert!(!out.contains("aB3xY9zK"), "{out}");
        assert!(!out.contains("abcdefgh1234"), "{out}");
        assert!(!out.contains("deadbeef"), "{out}");
        assert!(!out.contains("c2lnbmF0dXJl"), "{out}");
        assert!(out.contains("copt_live_***"));
        assert!(out.contains("X-Amz-Expires=60"));
        assert_eq!(
            redact("customer jane.doe+x@example.com updated"),
            "customer ***@example.com updated"
        );
    }

    #[test]
    fn ordinary_lines_pass_unchanged() {
        let line = r#"{"msg":"listening","addr":"127.0.0.1:8080"}"#;
        assert!(matches!(redact(line), Cow::Borrowed(_)));
    }

    #[test]
    fn the_writer_redacts() {
        let mut out = Vec::new();
        RedactingWriter(&mut out)
            .write_all(b"key=copt_test_aB3xY9zKqMnPwR2vT4uH7jL5sQ8eFc1g\n")
            .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "key=copt_test_***\n");
    }
}
