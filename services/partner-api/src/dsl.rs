//! The query DSL shared by every list endpoint: `q[field__action]=value`.
//!
//! One parser ([`parse`]) turns the raw query pairs into a [`ListQuery`] against
//! a [`Resource`] — a whitelist of [`Column`]s, each with a [`ColumnType`] that
//! decides which actions apply and how values are parsed. One builder
//! ([`ListQuery::where_sql`], [`ListQuery::order_sql`]) renders it as SQL in
//! which column names come only from the whitelist and every value is a bound
//! parameter ([`Bind`]). Anything else is 400 `invalid_q` naming the parameter.

use crate::config::QueryLimits;
use error_envelope::{ApiError, ErrorCode};
use query::PageParams;
use time::{Date, OffsetDateTime, PrimitiveDateTime, format_description::well_known::Rfc3339};
use uuid::Uuid;

/// How a column is typed, which decides its actions and value syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// A resource id, shown as `<prefix>_<32 hex>`, stored as a uuid.
    Id(&'static str),
    Uuid,
    Text,
    Enum(&'static [&'static str]),
    Timestamp,
    Number,
    /// Free-form JSON (the event payload): `like` over its text, and `is`.
    Json,
}

impl ColumnType {
    pub fn allows(self, action: Action) -> bool {
        use Action::*;
        match self {
            ColumnType::Id(_) => matches!(action, Eq | Not | In | Order),
            ColumnType::Uuid | ColumnType::Enum(_) => matches!(action, Eq | Not | In | Is | Order),
            ColumnType::Text => true,
            ColumnType::Timestamp | ColumnType::Number => {
                matches!(action, Eq | Not | In | Gte | Lte | Is | Order)
            }
            ColumnType::Json => matches!(action, Like | Is),
        }
    }

    /// A name for documentation and error messages.
    pub fn describe(self) -> &'static str {
        match self {
            ColumnType::Id(_) => "id",
            ColumnType::Uuid => "uuid",
            ColumnType::Text => "string",
            ColumnType::Enum(_) => "enum",
            ColumnType::Timestamp => "timestamp",
            ColumnType::Number => "number",
            ColumnType::Json => "json",
        }
    }
}

/// A filterable/sortable column: its public (camelCase) name and its SQL expression.
#[derive(Debug, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub sql: &'static str,
    pub ty: ColumnType,
}

/// A listable table and its whitelist.
#[derive(Debug)]
pub struct Resource {
    /// The key of the list in the response body (`events`, `logs`, `sessions`).
    pub name: &'static str,
    pub table: &'static str,
    /// The SELECT list, matching the resource's row struct.
    pub select: &'static str,
    pub columns: &'static [Column],
    /// Public name of the default sort column (always descending: newest first).
    pub default_order: &'static str,
    /// SQL of the unique tie-breaker appended to every ORDER BY (stable pages).
    pub tiebreak: &'static str,
}

impl Resource {
    pub fn column(&'static self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Eq,
    Not,
    In,
    Like,
    Gte,
    Lte,
    Is,
    Order,
}

impl Action {
    pub const ALL: [Action; 8] = [
        Action::Eq,
        Action::Not,
        Action::In,
        Action::Like,
        Action::Gte,
        Action::Lte,
        Action::Is,
        Action::Order,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Eq => "eq",
            Action::Not => "not",
            Action::In => "in",
            Action::Like => "like",
            Action::Gte => "gte",
            Action::Lte => "lte",
            Action::Is => "is",
            Action::Order => "order",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// A typed filter value.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Uuid(Uuid),
    Text(String),
    Timestamp(OffsetDateTime),
    /// A validated decimal literal, cast to `numeric` in SQL.
    Number(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `column <op> value` with op one of `=`, `<>`, `>=`, `<=`, `<`.
    Cmp {
        column: &'static Column,
        op: &'static str,
        value: Scalar,
    },
    In {
        column: &'static Column,
        values: Vec<Scalar>,
    },
    /// Case-insensitive substring; `pattern` is already escaped and wrapped in `%`.
    Like {
        column: &'static Column,
        pattern: String,
    },
    IsNull {
        column: &'static Column,
        null: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

impl Direction {
    fn sql(self) -> &'static str {
        match self {
            Direction::Asc => "ASC",
            Direction::Desc => "DESC",
        }
    }
}

/// A parsed list request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub resource: &'static Resource,
    pub conditions: Vec<Condition>,
    pub order: Vec<(&'static Column, Direction)>,
    pub page: PageParams,
}

/// A bound SQL parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Uuid(Uuid),
    Text(String),
    Timestamp(OffsetDateTime),
    UuidArray(Vec<Uuid>),
    TextArray(Vec<String>),
    TimestampArray(Vec<OffsetDateTime>),
    BigInt(i64),
}

fn invalid(parameter: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_parameter(ErrorCode::InvalidQ, parameter, message)
}

/// Parses the query pairs (in request order) of a list request on `resource`.
pub fn parse(
    resource: &'static Resource,
    pairs: &[(String, String)],
    limits: &QueryLimits,
) -> Result<ListQuery, ApiError> {
    let mut conditions = Vec::new();
    let mut order: Vec<(&'static Column, Direction)> = Vec::new();
    let mut page: Option<&str> = None;
    let mut per_page: Option<&str> = None;
    for (key, value) in pairs {
        if key == "projectId" || key.starts_with("q[projectId") {
            return Err(invalid(
                key,
                "projectId is never accepted in the query: the project comes from the API key",
            ));
        }
        let Some(inner) = key.strip_prefix("q[").and_then(|k| k.strip_suffix(']')) else {
            return Err(invalid(
                key,
                format!(
                    "unknown query parameter {key}; filters are written q[field__action]=value"
                ),
            ));
        };
        match inner {
            "page" | "perPage" => {
                let slot = if inner == "page" {
                    &mut page
                } else {
                    &mut per_page
                };
                if slot.replace(value.as_str()).is_some() {
                    return Err(invalid(key, format!("{key} is given more than once")));
                }
                continue;
            }
            _ => {}
        }
        let Some((field, action)) = inner.rsplit_once("__") else {
            return Err(invalid(
                key,
                format!("{key} must have the form q[field__action]"),
            ));
        };
        let Some(action) = Action::parse(action) else {
            return Err(invalid(
                key,
                format!(
                    "unknown action __{action} in {key}; actions are {}",
                    Action::ALL.map(Action::as_str).join(", ")
                ),
            ));
        };
        let Some(column) = resource.column(field) else {
            return Err(invalid(
                key,
                format!(
                    "unknown column {field} in {key}; {} columns are {}",
                    resource.name,
                    resource
                        .columns
                        .iter()
                        .map(|c| c.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        };
        if !column.ty.allows(action) {
            return Err(invalid(
                key,
                format!(
                    "__{} does not apply to {field} (a {} column)",
                    action.as_str(),
                    column.ty.describe()
                ),
            ));
        }
        match action {
            Action::Order => {
                let dir = match value.to_ascii_lowercase().as_str() {
                    "asc" => Direction::Asc,
                    "desc" => Direction::Desc,
                    _ => return Err(invalid(key, format!("{key} must be asc or desc"))),
                };
                if order.iter().any(|(c, _)| c.name == column.name) {
                    return Err(invalid(key, format!("{key} is given more than once")));
                }
                order.push((column, dir));
            }
            Action::Is => {
                let null = match value.to_ascii_lowercase().as_str() {
                    "null" => true,
                    "notnull" => false,
                    _ => return Err(invalid(key, format!("{key} must be null or notnull"))),
                };
                conditions.push(Condition::IsNull { column, null });
            }
            Action::Like => {
                if value.chars().count() > 1000 {
                    return Err(invalid(
                        key,
                        format!("{key} is longer than 1000 characters"),
                    ));
                }
                conditions.push(Condition::Like {
                    column,
                    pattern: format!("%{}%", escape_like(value)),
                });
            }
            Action::In => {
                let values = value
                    .split(',')
                    .map(|v| parse_scalar(column, key, v.trim()))
                    .collect::<Result<Vec<_>, _>>()?;
                if values.len() > limits.max_in_values {
                    return Err(invalid(
                        key,
                        format!("{key} takes at most {} values", limits.max_in_values),
                    ));
                }
                conditions.push(Condition::In { column, values });
            }
            Action::Eq | Action::Not | Action::Gte | Action::Lte => {
                let scalar = parse_scalar(column, key, value)?;
                // A bare date as an inclusive upper bound means "until the end of that day".
                let (op, scalar) = match (action, scalar) {
                    (Action::Lte, Scalar::Timestamp(t)) if is_bare_date(value) => {
                        ("<", Scalar::Timestamp(t + time::Duration::days(1)))
                    }
                    (Action::Eq, s) => ("=", s),
                    (Action::Not, s) => ("<>", s),
                    (Action::Gte, s) => (">=", s),
                    (_, s) => ("<=", s),
                };
                conditions.push(Condition::Cmp {
                    column,
                    op,
                    value: scalar,
                });
            }
        }
    }
    let page = PageParams::parse(
        page.map(|v| ("q[page]", v)),
        per_page.map(|v| ("q[perPage]", v)),
        limits.default_per_page,
        limits.max_per_page,
        ErrorCode::InvalidQ,
    )?;
    let window = u64::from(page.page) * u64::from(page.per_page);
    if window > limits.max_result_window {
        return Err(invalid(
            "q[page]",
            format!(
                "q[page] × q[perPage] may not exceed {}; narrow the results with q[timestamp__lte] instead of paging deeper",
                limits.max_result_window
            ),
        ));
    }
    if order.is_empty()
        && let Some(c) = resource.column(resource.default_order)
    {
        order.push((c, Direction::Desc));
    }
    Ok(ListQuery {
        resource,
        conditions,
        order,
        page,
    })
}

/// Escapes `\`, `%` and `_` so the value matches literally inside ILIKE.
pub fn escape_like(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for ch in value.chars() {
        if matches!(ch, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

fn is_bare_date(value: &str) -> bool {
    value.len() == 10 && !value.contains('T')
}

/// Parses an ISO-8601 instant: RFC 3339, a date-time without offset (UTC), or a bare date (UTC midnight).
pub fn parse_timestamp(value: &str) -> Option<OffsetDateTime> {
    if let Ok(t) = OffsetDateTime::parse(value, &Rfc3339) {
        return Some(t);
    }
    let date_fmt = time::macros::format_description!("[year]-[month]-[day]");
    if is_bare_date(value) {
        return Date::parse(value, &date_fmt)
            .ok()
            .map(|d| d.midnight().assume_utc());
    }
    let no_offset = time::macros::format_description!(
        version = 2,
        "[year]-[month]-[day]T[hour]:[minute][optional [:[second][optional [.[subsecond]]]]]"
    );
    PrimitiveDateTime::parse(value, &no_offset)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

fn parse_scalar(column: &'static Column, key: &str, value: &str) -> Result<Scalar, ApiError> {
    match column.ty {
        ColumnType::Id(prefix) => {
            let raw = value.strip_prefix(prefix).and_then(|v| v.strip_prefix('_')).unwrap_or(value);
            Uuid::parse_str(raw)
                .map(Scalar::Uuid)
                .map_err(|_| invalid(key, format!("{key} must be an id like {prefix}_…")))
        }
        ColumnType::Uuid => Uuid::parse_str(value)
            .map(Scalar::Uuid)
            .map_err(|_| invalid(key, format!("{key} must be a UUID"))),
        ColumnType::Text | ColumnType::Json => {
            if value.chars().count() > 1000 {
                Err(invalid(key, format!("{key} is longer than 1000 characters")))
            } else {
                Ok(Scalar::Text(value.to_owned()))
            }
        }
        ColumnType::Enum(allowed) => {
            if allowed.contains(&value) {
                Ok(Scalar::Text(value.to_owned()))
            } else {
                Err(invalid(key, format!("{key} must be one of {}", allowed.join(", "))))
            }
        }
        ColumnType::Timestamp => parse_timestamp(value).map(Scalar::Timestamp).ok_or_else(|| {
            invalid(key, format!("{key} must be an ISO-8601 date or date-time, e.g. 2026-04-01 or 2026-04-01T09:00:00Z"))
        }),
        ColumnType::Number => {
            let ok = !value.is_empty()
                && value.len() <= 40
                && value.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
                && value.parse::<f64>().is_ok_and(f64::is_finite);
            if ok {
                Ok(Scalar::Number(value.to_owned()))
            } else {
                Err(invalid(key, format!("{key} must be a number")))
            }
        }
    }
}

fn scalar_bind(s: &Scalar) -> Bind {
    match s {
        Scalar::Uuid(u) => Bind::Uuid(*u),
        Scalar::Text(t) | Scalar::Number(t) => Bind::Text(t.clone()),
        Scalar::Timestamp(t) => Bind::Timestamp(*t),
    }
}

impl ListQuery {
    /// ` AND …` conditions, numbering parameters from `$first`; returns the SQL and its binds.
    pub fn where_sql(&self, first: usize) -> (String, Vec<Bind>) {
        let mut sql = String::new();
        let mut binds = Vec::new();
        for c in &self.conditions {
            let n = first + binds.len();
            match c {
                Condition::Cmp { column, op, value } => {
                    let param = match column.ty {
                        ColumnType::Number => format!("CAST(${n} AS numeric)"),
                        _ => format!("${n}"),
                    };
                    sql.push_str(&format!(" AND {} {op} {param}", column.sql));
                    binds.push(scalar_bind(value));
                }
                Condition::In { column, values } => {
                    let (param, bind) = match column.ty {
                        ColumnType::Id(_) | ColumnType::Uuid => (
                            format!("${n}"),
                            Bind::UuidArray(
                                values
                                    .iter()
                                    .filter_map(|v| match v {
                                        Scalar::Uuid(u) => Some(*u),
                                        _ => None,
                                    })
                                    .collect(),
                            ),
                        ),
                        ColumnType::Timestamp => (
                            format!("${n}"),
                            Bind::TimestampArray(
                                values
                                    .iter()
                                    .filter_map(|v| match v {
                                        Scalar::Timestamp(t) => Some(*t),
                                        _ => None,
                                    })
                                    .collect(),
                            ),
                        ),
                        ColumnType::Number => (
                            format!("CAST(${n} AS numeric[])"),
                            Bind::TextArray(values.iter().map(text_of).collect()),
                        ),
                        _ => (
                            format!("${n}"),
                            Bind::TextArray(values.iter().map(text_of).collect()),
                        ),
                    };
                    sql.push_str(&format!(" AND {} = ANY({param})", column.sql));
                    binds.push(bind);
                }
                Condition::Like { column, pattern } => {
                    let expr = match column.ty {
                        ColumnType::Json => format!("({})::text", column.sql),
                        _ => column.sql.to_owned(),
                    };
                    sql.push_str(&format!(" AND {expr} ILIKE ${n}"));
                    binds.push(Bind::Text(pattern.clone()));
                }
                Condition::IsNull { column, null } => {
                    sql.push_str(&format!(
                        " AND {} IS {}NULL",
                        column.sql,
                        if *null { "" } else { "NOT " }
                    ));
                }
            }
        }
        (sql, binds)
    }

    /// ` ORDER BY …` with the resource's tie-breaker in the first key's direction.
    pub fn order_sql(&self) -> String {
        let mut parts: Vec<String> = self
            .order
            .iter()
            .map(|(c, d)| format!("{} {}", c.sql, d.sql()))
            .collect();
        let tie_dir = self
            .order
            .first()
            .map(|(_, d)| *d)
            .unwrap_or(Direction::Desc);
        parts.push(format!("{} {}", self.resource.tiebreak, tie_dir.sql()));
        format!(" ORDER BY {}", parts.join(", "))
    }
}

fn text_of(s: &Scalar) -> String {
    match s {
        Scalar::Text(t) | Scalar::Number(t) => t.clone(),
        Scalar::Uuid(u) => u.to_string(),
        Scalar::Timestamp(t) => t.format(&Rfc3339).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::events::EVENTS;

    fn pairs(q: &str) -> Vec<(String, String)> {
        serde_urlencoded::from_str(q).unwrap()
    }

    fn limits() -> QueryLimits {
        QueryLimits::default()
    }

    #[test]
    fn filters_become_bound_parameters() {
        let q = parse(
            &EVENTS,
            &pairs("q[name__eq]=purchase&q[timestamp__gte]=2026-04-01&q[name__like]=a%_b"),
            &limits(),
        )
        .unwrap();
        let (sql, binds) = q.where_sql(2);
        assert_eq!(
            sql,
            " AND name = $2 AND \"timestamp\" >= $3 AND name ILIKE $4"
        );
        assert_eq!(binds[0], Bind::Text("purchase".into()));
        assert_eq!(binds[2], Bind::Text("%a\\%\\_b%".into()));
        assert_eq!(q.order_sql(), " ORDER BY \"timestamp\" DESC, id DESC");
    }

    #[test]
    fn errors_name_the_parameter() {
        for bad in [
            "q[nope__eq]=1",
            "q[name__regex]=1",
            "q[timestamp__gte]=yesterday",
            "q[totalAmount__eq]=ten",
            "q[sessionId__eq]=abc",
            "q[timestamp__like]=2026",
            "projectId=proj_x",
            "q[perPage]=500",
        ] {
            let e = parse(&EVENTS, &pairs(bad), &limits()).unwrap_err();
            assert_eq!(e.code(), "invalid_q", "{bad}");
            let key = bad.split('=').next().unwrap();
            assert_eq!(e.details()["parameter"], key, "{bad}");
        }
    }

    #[test]
    fn timestamps() {
        assert!(parse_timestamp("2026-04-01").is_some());
        assert!(parse_timestamp("2026-04-01T09:12:44.000Z").is_some());
        assert!(parse_timestamp("2026-04-01T09:12:44+02:00").is_some());
        assert!(parse_timestamp("2026-04-01T09:12").is_some());
        assert!(parse_timestamp("2026-13-01").is_none());
    }
}
