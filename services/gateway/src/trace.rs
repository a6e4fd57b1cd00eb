//! W3C `traceparent` towards the upstream.
//!
//! When OTLP export is on, the current span (the gateway's `upstream` span,
//! child of the root span that continued the caller's trace) supplies trace and
//! span ids, so the upstream's spans nest under the gateway's. Without an
//! exporter the header is still continued (same trace id, new parent id) or
//! started (new trace id), so logs of every service share one trace id.
//!
//! The header is rendered into a fixed 55-byte buffer: no allocation and no
//! formatting machinery on the request path.

use opentelemetry::trace::TraceContextExt;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// A rendered `traceparent`: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`.
pub struct TraceParent([u8; 55]);

impl TraceParent {
    fn new(trace_id: &[u8; 16], parent_id: u64, flags: u8) -> Self {
        let mut out = [b'-'; 55];
        out[..2].copy_from_slice(b"00");
        hex_into(&mut out[3..35], trace_id);
        hex_into(&mut out[36..52], &parent_id.to_be_bytes());
        hex_into(&mut out[53..55], &[flags]);
        Self(out)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits and dashes were written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Lowercase hex of `bytes` into `out` (twice as long).
pub fn hex_into(out: &mut [u8], bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 0xf)];
    }
}

/// The `traceparent` to send upstream for a request that came with `incoming`;
/// `exporting`: OTLP export is on, so the current span's context comes first.
pub fn outgoing(incoming: Option<&str>, exporting: bool) -> TraceParent {
    if exporting {
        let cx = tracing::Span::current().context();
        let span = cx.span();
        let sc = span.span_context();
        if sc.is_valid() {
            return TraceParent::new(
                &sc.trace_id().to_bytes(),
                u64::from_be_bytes(sc.span_id().to_bytes()),
                sc.trace_flags().to_u8(),
            );
        }
    }
    let parent_id = nonzero_u64();
    match incoming.and_then(parse) {
        Some((trace_id, flags)) => TraceParent::new(&trace_id, parent_id, flags),
        None => TraceParent::new(&nonzero_u128().to_be_bytes(), parent_id, 1),
    }
}

/// (trace id, flags) of a well-formed version-00 `traceparent`.
fn parse(raw: &str) -> Option<([u8; 16], u8)> {
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
    if !ok {
        return None;
    }
    let trace_id = u128::from_str_radix(trace_id, 16).ok()?.to_be_bytes();
    let flags = u8::from_str_radix(flags, 16).ok()?;
    Some((trace_id, flags))
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
        let out = out.as_str();
        assert!(
            out.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
            "{out}"
        );
        assert!(out.ends_with("-01"));
        assert!(!out.contains("00f067aa0ba902b7"));
        assert!(parse(out).is_some(), "{out}");
    }

    #[test]
    fn a_trace_is_started_otherwise() {
        for bad in [
            None,
            Some("garbage"),
            Some("00-00000000000000000000000000000000-00f067aa0ba902b7-01"),
        ] {
            let out = outgoing(bad, false);
            let (_, flags) = parse(out.as_str()).unwrap();
            assert_eq!(flags, 1);
        }
    }
}
