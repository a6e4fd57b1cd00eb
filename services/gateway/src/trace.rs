//! W3C `traceparent` towards the upstream.
//!
//! When OTLP export is on, the current span (the gateway's `upstream` span,
//! child of the root span that continued the caller's trace) supplies trace and
//! span ids, so the upstream's spans nest under the gateway's. Without an
//! exporter the header is still continued (same trace id, new parent id) or
//! started (new trace id), so logs of every service share one trace id.

use opentelemetry::trace::TraceContextExt;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The `traceparent` to send upstream for a request that came with `incoming`;
/// `exporting`: OTLP export is on, so the current span's context comes first.
pub fn outgoing(incoming: Option<&str>, exporting: bool) -> String {
    if exporting {
        let cx = tracing::Span::current().context();
        let span = cx.span();
        let sc = span.span_context();
        if sc.is_valid() {
            return format!(
                "00-{}-{}-{:02x}",
                sc.trace_id(),
                sc.span_id(),
                sc.trace_flags().to_u8()
            );
        }
    }
    let span_id = format!("{:016x}", nonzero_u64());
    match incoming.and_then(parse) {
        Some((trace_id, flags)) => format!("00-{trace_id}-{span_id}-{flags}"),
        None => format!("00-{:032x}-{span_id}-01", nonzero_u128()),
    }
}

/// (trace id, flags) of a well-formed version-00 `traceparent`.
fn parse(raw: &str) -> Option<(&str, &str)> {
    let mut parts = raw.trim().split('-');
    let (version, trace_id, parent, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let ok = version == "00"
        && parts.next().is_none()
        && hex(trace_id, 32)
        && hex(parent, 16)
        && hex(flags, 2)
        && trace_id.bytes().any(|b| b != b'0')
        && parent.bytes().any(|b| b != b'0');
    ok.then_some((trace_id, flags))
}

fn nonzero_u64() -> u64 {
    rand::random::<u64>().max(1)
}

fn nonzero_u128() -> u128 {
    rand::random::<u128>().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_incoming_trace_is_continued() {
        let incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let out = outgoing(Some(incoming), false);
        assert!(
            out.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
            "{out}"
        );
        assert!(out.ends_with("-01"));
        assert!(!out.contains("00f067aa0ba902b7"));
    }

    #[test]
    fn a_trace_is_started_otherwise() {
        for bad in [
            None,
            Some("garbage"),
            Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
        ] {
            let out = outgoing(bad, false);
            let (_, flags) = parse(&out).unwrap();
            assert_eq!(flags, "01");
        }
    }
}
