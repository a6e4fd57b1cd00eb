//! Timestamps on the wire: RFC 3339 in UTC; filters also accept `YYYY-MM-DD`.

use time::{
    Date, OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339,
    macros::format_description,
};

pub fn parse_date(raw: &str) -> Option<Date> {
    Date::parse(raw, format_description!("[year]-[month]-[day]")).ok()
}

/// RFC 3339, or a date meaning its midnight UTC.
pub fn parse_instant(raw: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(raw, &Rfc3339) {
        return Some(t.to_offset(UtcOffset::UTC));
    }
    parse_date(raw).map(|d| d.midnight().assume_utc())
}

pub fn rfc3339(t: &OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// `#[serde(with = "crate::time_fmt::utc")]` for `OffsetDateTime` fields.
pub mod utc {
    use serde::Serializer;
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::rfc3339(t))
    }
}

/// `#[serde(with = "crate::time_fmt::utc_opt")]` for `Option<OffsetDateTime>` fields.
pub mod utc_opt {
    use serde::Serializer;
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::rfc3339(t)),
            None => s.serialize_none(),
        }
    }
}
