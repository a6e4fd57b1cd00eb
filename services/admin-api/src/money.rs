//! Money: stored as integer cents, rendered as a JSON number with exactly two
//! decimals (`487.20`, as the seed shows), parsed from numbers or strings.

use serde::{Serialize, Serializer};

/// An amount in cents that serialises as a JSON number with 2 decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money(pub i64);

impl Money {
    pub fn text(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let raw = serde_json::value::RawValue::from_string(self.text())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(s)
    }
}

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Number)
            .description(Some(
                "Amount in the shop currency, a JSON number with 2 decimals (e.g. 487.20)",
            ))
            .examples([serde_json::json!(487.20)])
            .into()
    }
}
impl utoipa::ToSchema for Money {}

/// `"12"`, `"12.5"`, `"12.50"` → cents; at most 2 decimals, at most 10^13 units.
pub fn parse_cents(raw: &str) -> Option<i64> {
    let (neg, body) = match raw.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, raw),
    };
    let (units, frac) = match body.split_once('.') {
        Some((u, f)) => (u, f),
        None => (body, ""),
    };
    if units.is_empty() || units.len() > 13 || frac.len() > 2 {
        return None;
    }
    if !units.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let units: i64 = units.parse().ok()?;
    let frac: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<2}").parse().ok()?
    };
    let cents = units * 100 + frac;
    Some(if neg { -cents } else { cents })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_two_decimals() {
        assert_eq!(serde_json::to_string(&Money(48720)).unwrap(), "487.20");
        assert_eq!(serde_json::to_string(&Money(5)).unwrap(), "0.05");
        assert_eq!(serde_json::to_string(&Money(-150)).unwrap(), "-1.50");
    }

    #[test]
    fn parses_amounts() {
        assert_eq!(parse_cents("487.2"), Some(48720));
        assert_eq!(parse_cents("487.20"), Some(48720));
        assert_eq!(parse_cents("3"), Some(300));
        assert_eq!(parse_cents("-1.5"), Some(-150));
        for bad in ["", "1.234", "abc", "1e3", ".5", "--1"] {
            assert_eq!(parse_cents(bad), None, "{bad}");
        }
    }
}
