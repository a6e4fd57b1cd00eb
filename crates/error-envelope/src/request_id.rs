//! Request ids: `req_` + 26 characters, generated unless a well-formed one came in.

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload};
use std::future::{Ready, ready};

/// The id of one request, shared by the response header, the error body and every log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// A new random id (`req_` + 32 lowercase hex characters of a UUIDv7, so ids sort by time).
    pub fn generate() -> Self {
        Self(format!("req_{}", uuid::Uuid::now_v7().simple()))
    }

    /// Accepts a caller-supplied id when it is short and made only of safe characters.
    /// Anything else is ignored (a new id is generated), so header injection or
    /// log forging through the id is impossible.
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (8..=128).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'));
        ok.then(|| Self(raw.to_owned()))
    }

    /// Reads the id the middleware stored on the request, if any.
    pub fn of(req: &HttpRequest) -> Option<Self> {
        req.extensions().get::<RequestId>().cloned()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromRequest for RequestId {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req).unwrap_or_else(Self::generate)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_well_formed_and_unique() {
        let a = RequestId::generate();
        let b = RequestId::generate();
        assert!(a.as_str().starts_with("req_"));
        assert_eq!(a.as_str().len(), 36);
        assert_ne!(a, b);
        assert_eq!(RequestId::parse(a.as_str()), Some(a));
    }

    #[test]
    fn unsafe_ids_are_refused() {
        assert_eq!(RequestId::parse("short"), None);
        assert_eq!(RequestId::parse("req_abc\r\nSet-Cookie: x"), None);
        assert_eq!(RequestId::parse(&"a".repeat(129)), None);
        assert!(RequestId::parse("req_abc123").is_some());
    }
}
