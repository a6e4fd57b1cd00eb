//! Typed filter values: what a [`Kind`] of field accepts from the query
//! string, and how values travel in cursors ([`KeyValue`]).

use bigdecimal::BigDecimal;
use serde_json::Value as Json;
use std::str::FromStr;
use time::{
    Date, OffsetDateTime, PrimitiveDateTime, UtcOffset, format_description::well_known::Rfc3339,
};
use uuid::Uuid;

/// Longest accepted text value (characters).
pub const MAX_TEXT: usize = 1000;

/// A value parsed from the query string, already of its column's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Int(i64),
    Bool(bool),
    Uuid(Uuid),
    Timestamp(OffsetDateTime),
    Decimal(BigDecimal),
}

/// How a field is typed: which text it accepts and which [`Value`] it yields.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Free text (at most [`MAX_TEXT`] characters, no NUL).
    Text,
    /// One of the listed values.
    Enum(&'static [&'static str]),
    /// A public text id with this prefix (`cus_…`): ASCII letters, digits and `_`.
    PrefixedText(&'static str),
    /// A uuid, written bare or as `<prefix>_<uuid in hex>` (`ses_…`, `evt_…`).
    PrefixedUuid(&'static str),
    Uuid,
    Int,
    Bool,
    /// RFC 3339, a date-time without offset (UTC) or a bare date (UTC midnight).
    Timestamp,
    /// A decimal number (bound as `numeric`).
    Decimal,
    /// Free text matched against a JSON document's text (`__like` only).
    Json,
    /// A service-specific syntax: the parser and its description.
    Custom(fn(&str) -> Option<Value>, &'static str),
}

impl Kind {
    /// For error messages and documentation.
    pub fn describe(&self) -> String {
        match self {
            Kind::Text | Kind::Json => format!("text of at most {MAX_TEXT} characters"),
            Kind::Enum(v) => format!("one of: {}", v.join(", ")),
            Kind::PrefixedText(p) => format!("an id starting with {p}"),
            Kind::PrefixedUuid(p) => format!("an id like {p}_… or a UUID"),
            Kind::Uuid => "a UUID".into(),
            Kind::Int => "an integer".into(),
            Kind::Bool => "true or false".into(),
            Kind::Timestamp => {
                "an ISO-8601 date or date-time, e.g. 2026-04-01 or 2026-04-01T09:00:00Z".into()
            }
            Kind::Decimal => "a number".into(),
            Kind::Custom(_, d) => (*d).into(),
        }
    }

    /// The typed value of `raw`, or None when `raw` is not of this kind.
    pub fn parse(&self, raw: &str) -> Option<Value> {
        match self {
            Kind::Text | Kind::Json => storable_text(raw).map(|t| Value::Text(t.to_owned())),
            Kind::Enum(values) => values.contains(&raw).then(|| Value::Text(raw.to_owned())),
            Kind::PrefixedText(prefix) => (raw.starts_with(prefix)
                && raw.len() <= 64
                && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .then(|| Value::Text(raw.to_owned())),
            Kind::PrefixedUuid(prefix) => {
                let bare = raw
                    .strip_prefix(prefix)
                    .and_then(|r| r.strip_prefix('_'))
                    .unwrap_or(raw);
                Uuid::parse_str(bare).ok().map(Value::Uuid)
            }
            Kind::Uuid => Uuid::parse_str(raw).ok().map(Value::Uuid),
            Kind::Int => raw.parse::<i64>().ok().map(Value::Int),
            Kind::Bool => match raw {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            Kind::Timestamp => parse_timestamp(raw).map(Value::Timestamp),
            Kind::Decimal => {
                let ok = !raw.is_empty()
                    && raw.len() <= 40
                    && raw.bytes().all(|b| {
                        b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E')
                    });
                ok.then(|| BigDecimal::from_str(raw).ok())
                    .flatten()
                    .map(Value::Decimal)
            }
            Kind::Custom(parse, _) => parse(raw),
        }
    }
}

/// `raw` when PostgreSQL can store it as text: at most [`MAX_TEXT`] characters
/// and no NUL (empty is a value: `q[orderId__not]=` means "has an order id").
pub fn storable_text(raw: &str) -> Option<&str> {
    (raw.chars().count() <= MAX_TEXT && !raw.contains('\0')).then_some(raw)
}

/// A date written without a time (`2026-04-01`): as an upper bound it means "through that day".
pub fn is_bare_date(raw: &str) -> bool {
    raw.len() == 10 && !raw.contains('T')
}

/// Parses an ISO-8601 instant: RFC 3339, a date-time without offset (UTC), or a bare date (UTC midnight).
pub fn parse_timestamp(raw: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Some(t.to_offset(UtcOffset::UTC));
    }
    if is_bare_date(raw) {
        return Date::parse(
            raw,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok()
        .map(|d| d.midnight().assume_utc());
    }
    let no_offset = time::macros::format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute][optional [:[second][optional [.[subsecond]]]]]"
    );
    PrimitiveDateTime::parse(raw, &no_offset)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// A Rust value a field binds: taken out of a [`Value`] of the right variant.
pub trait FromValue: Sized {
    fn from_value(v: &Value) -> Option<Self>;
}

macro_rules! from_value {
    ($t:ty, $variant:ident) => {
        impl FromValue for $t {
            fn from_value(v: &Value) -> Option<Self> {
                match v {
                    Value::$variant(x) => Some(x.clone()),
                    _ => None,
                }
            }
        }
    };
}
from_value!(String, Text);
from_value!(i64, Int);
from_value!(bool, Bool);
from_value!(Uuid, Uuid);
from_value!(OffsetDateTime, Timestamp);
from_value!(BigDecimal, Decimal);

impl FromValue for i32 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(x) => i32::try_from(*x).ok(),
            _ => None,
        }
    }
}

/// A sort key value as it travels inside a cursor (JSON), exactly (timestamps to the microsecond).
pub trait KeyValue: Sized {
    fn to_json(&self) -> Json;
    fn from_json(v: &Json) -> Option<Self>;
}

impl KeyValue for String {
    fn to_json(&self) -> Json {
        Json::String(self.clone())
    }
    fn from_json(v: &Json) -> Option<Self> {
        v.as_str().map(str::to_owned)
    }
}

impl KeyValue for i64 {
    fn to_json(&self) -> Json {
        Json::from(*self)
    }
    fn from_json(v: &Json) -> Option<Self> {
        v.as_i64()
    }
}

impl KeyValue for i32 {
    fn to_json(&self) -> Json {
        Json::from(*self)
    }
    fn from_json(v: &Json) -> Option<Self> {
        v.as_i64().and_then(|n| i32::try_from(n).ok())
    }
}

impl KeyValue for Uuid {
    fn to_json(&self) -> Json {
        Json::String(self.to_string())
    }
    fn from_json(v: &Json) -> Option<Self> {
        v.as_str().and_then(|s| Uuid::parse_str(s).ok())
    }
}

impl KeyValue for OffsetDateTime {
    fn to_json(&self) -> Json {
        Json::String(
            self.to_offset(UtcOffset::UTC)
                .format(&Rfc3339)
                .unwrap_or_default(),
        )
    }
    fn from_json(v: &Json) -> Option<Self> {
        v.as_str()
            .and_then(|s| OffsetDateTime::parse(s, &Rfc3339).ok())
    }
}

/// `None` travels as JSON `null` (nullable sort keys).
impl<T: KeyValue> KeyValue for Option<T> {
    fn to_json(&self) -> Json {
        self.as_ref().map(T::to_json).unwrap_or(Json::Null)
    }
    fn from_json(v: &Json) -> Option<Self> {
        if v.is_null() {
            Some(None)
        } else {
            T::from_json(v).map(Some)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_their_syntax_only() {
        assert!(Kind::Text.parse("a\0b").is_none(), "NUL cannot be stored");
        assert_eq!(Kind::Text.parse(""), Some(Value::Text(String::new())));
        assert!(Kind::Text.parse(&"x".repeat(MAX_TEXT + 1)).is_none());
        let id = Uuid::new_v4();
        for raw in [
            id.to_string(),
            format!("ses_{}", id.simple()),
            format!("ses_{id}"),
        ] {
            assert_eq!(
                Kind::PrefixedUuid("ses").parse(&raw),
                Some(Value::Uuid(id)),
                "{raw}"
            );
        }
        assert!(Kind::PrefixedUuid("ses").parse("ses_nope").is_none());
        assert!(Kind::PrefixedText("cus_").parse("cus_ab12").is_some());
        assert!(Kind::PrefixedText("cus_").parse("cus_a'b").is_none());
        assert!(Kind::Decimal.parse("12.5").is_some());
        assert!(Kind::Decimal.parse("ten").is_none());
        assert!(Kind::Decimal.parse("1;drop").is_none());
    }

    #[test]
    fn timestamps() {
        assert!(parse_timestamp("2026-04-01").is_some());
        assert!(parse_timestamp("2026-04-01T09:12:44.000Z").is_some());
        assert!(parse_timestamp("2026-04-01T09:12:44+02:00").is_some());
        assert!(parse_timestamp("2026-04-01T09:12").is_some());
        assert!(parse_timestamp("2026-13-01").is_none());
    }

    #[test]
    fn keys_round_trip_exactly() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_780_000_000_123_456_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(OffsetDateTime::from_json(&t.to_json()), Some(t));
        assert_eq!(Option::<OffsetDateTime>::from_json(&Json::Null), Some(None));
        assert_eq!(i32::from_json(&Json::from(5_000_000_000_i64)), None);
    }
}
