//! The one list mechanism of the service.
//!
//! Each resource declares a [`ListSpec`]: its table, select list, and the
//! whitelists of `filter[…]` fields (each a SQL template with one `?` where
//! the validated value is bound) and `sort` fields (each a SQL expression).
//! [`ListQuery::parse`] turns a raw query string into a validated query;
//! [`fetch_page`] builds the bound SQL (tenant first, then scope, filters and
//! the keyset condition), fetches `limit + 1` rows and signs the next cursor.
//! [`fetch_one`] reads one row by public id through the same spec.
//!
//! Keyset: rows are ordered by the sort expressions then `id` (direction of
//! the last sort key), and every row carries `cursor_key` — its sort values as
//! text, as PostgreSQL prints them, so they bind back exactly. Nullable sort
//! columns are declared with `COALESCE` so keys are never NULL. The cursor is
//! bound by HMAC to a "shape" string (resource, scope, filters, sort), so a
//! cursor reused with other filters or sort is refused with `invalid_cursor`.

use diesel::{
    QueryableByName,
    pg::Pg,
    sql_types::{Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use error_envelope::ApiError;
use query::{CursorCodec, CursorPage};
use serde_json::Value;
use uuid::Uuid;

/// The type of a filter value: how it is validated and what SQL cast it gets.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Free text (1–200 characters).
    Text,
    /// One value of the list, or several separated by commas.
    Enum(&'static [&'static str]),
    /// A public id with this prefix (e.g. `cus_`).
    Id(&'static str),
    Int,
    /// A decimal amount (up to 2 decimals), bound as integer cents.
    Money,
    /// RFC 3339 timestamp or `YYYY-MM-DD` (midnight UTC).
    Timestamp,
    /// `YYYY-MM-DD`.
    Date,
    Bool,
}

impl Kind {
    pub fn describe(&self) -> String {
        match self {
            Kind::Text => "text".into(),
            Kind::Enum(v) => format!("one or more (comma-separated) of: {}", v.join(", ")),
            Kind::Id(p) => format!("an id starting with {p}"),
            Kind::Int => "an integer".into(),
            Kind::Money => "a decimal amount with at most 2 decimals".into(),
            Kind::Timestamp => "an RFC 3339 timestamp or a YYYY-MM-DD date".into(),
            Kind::Date => "a YYYY-MM-DD date".into(),
            Kind::Bool => "true or false".into(),
        }
    }

    /// The normalised text to bind, or None when `raw` is not of this kind.
    fn normalise(&self, raw: &str) -> Option<String> {
        match self {
            Kind::Text => (!raw.is_empty() && raw.chars().count() <= 200).then(|| raw.to_owned()),
            Kind::Enum(values) => raw
                .split(',')
                .all(|v| values.contains(&v))
                .then(|| raw.to_owned()),
            Kind::Id(prefix) => (raw.starts_with(prefix)
                && raw.len() <= 64
                && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
            .then(|| raw.to_owned()),
            Kind::Int => raw.parse::<i64>().ok().map(|n| n.to_string()),
            Kind::Money => crate::money::parse_cents(raw).map(|c| c.to_string()),
            Kind::Timestamp => {
                crate::time_fmt::parse_instant(raw).map(|t| crate::time_fmt::rfc3339(&t))
            }
            Kind::Date => crate::time_fmt::parse_date(raw).map(|d| d.to_string()),
            Kind::Bool => match raw {
                "true" | "false" => Some(raw.to_owned()),
                _ => None,
            },
        }
    }
}

/// A whitelisted `filter[name]`: `sql` holds exactly one `?` for the value (bound as text).
#[derive(Debug)]
pub struct FilterSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub sql: &'static str,
    pub doc: &'static str,
}

/// A whitelisted sort field: `expr` is never NULL; `cast` is its SQL type.
#[derive(Debug)]
pub struct SortSpec {
    pub name: &'static str,
    pub expr: &'static str,
    pub cast: &'static str,
}

#[derive(Debug)]
pub struct ListSpec {
    /// Singular resource name for errors (`customer`).
    pub resource: &'static str,
    pub table: &'static str,
    /// The select list (without `cursor_key`).
    pub columns: &'static str,
    pub filters: &'static [FilterSpec],
    pub sorts: &'static [SortSpec],
    /// e.g. `-created_at`.
    pub default_sort: &'static str,
    /// Accepted values of `include`.
    pub includes: &'static [&'static str],
}

/// A validated list request.
#[derive(Debug)]
pub struct ListQuery {
    pub filters: Vec<(&'static FilterSpec, String)>,
    pub sort: Vec<(&'static SortSpec, bool)>,
    pub limit: u32,
    pub cursor: Option<String>,
    pub include: Vec<&'static str>,
}

/// Query parameters that name a tenant: the tenant comes only from the key.
pub const TENANT_PARAMS: &[&str] = &["tenant_id", "shop_id", "tenant", "shop"];

pub fn tenant_param_error(field: &str) -> ApiError {
    ApiError::validation(
        field,
        format!("{field} is not accepted: the shop is the one of the API key"),
    )
}

/// Parses a raw query string into `(name, value)` pairs, refusing tenant parameters.
pub fn query_pairs(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| ApiError::validation("query", "the query string is malformed"))?;
    for (k, _) in &pairs {
        let inner = k
            .strip_prefix("filter[")
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(k);
        if TENANT_PARAMS.contains(&inner) {
            return Err(tenant_param_error(k));
        }
    }
    Ok(pairs)
}

/// Refuses any query parameter on endpoints that take none (and tenant parameters everywhere).
pub fn no_query(query: &str) -> Result<(), ApiError> {
    if let Some((k, _)) = query_pairs(query)?.into_iter().next() {
        return Err(ApiError::validation(
            &k,
            format!("unknown query parameter {k}"),
        ));
    }
    Ok(())
}

impl ListQuery {
    pub fn parse(spec: &'static ListSpec, query: &str) -> Result<Self, ApiError> {
        let mut filters: Vec<(&'static FilterSpec, String)> = Vec::new();
        let mut sort_raw: Option<String> = None;
        let mut limit_raw: Option<String> = None;
        let mut cursor = None;
        let mut include = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (k, v) in query_pairs(query)? {
            if !seen.insert(k.clone()) {
                return Err(ApiError::validation(
                    &k,
                    format!("{k} is given more than once"),
                ));
            }
            if let Some(name) = k.strip_prefix("filter[").and_then(|r| r.strip_suffix(']')) {
                let f = spec
                    .filters
                    .iter()
                    .find(|f| f.name == name)
                    .ok_or_else(|| {
                        let allowed: Vec<_> = spec.filters.iter().map(|f| f.name).collect();
                        ApiError::validation(
                            &k,
                            format!(
                                "{name} is not a filter of {}s; allowed: {}",
                                spec.resource,
                                allowed.join(", ")
                            ),
                        )
                    })?;
                let value = f.kind.normalise(&v).ok_or_else(|| {
                    ApiError::validation(&k, format!("{k} must be {}", f.kind.describe()))
                })?;
                filters.push((f, value));
                continue;
            }
            match k.as_str() {
                "sort" => sort_raw = Some(v),
                "limit" => limit_raw = Some(v),
                "cursor" => cursor = Some(v),
                "include" if !spec.includes.is_empty() => {
                    for part in v.split(',') {
                        let inc = spec.includes.iter().find(|i| **i == part).ok_or_else(|| {
                            ApiError::validation(
                                "include",
                                format!("include must be one of: {}", spec.includes.join(", ")),
                            )
                        })?;
                        if !include.contains(inc) {
                            include.push(*inc);
                        }
                    }
                }
                _ => {
                    return Err(ApiError::validation(
                        &k,
                        format!("unknown query parameter {k}"),
                    ));
                }
            }
        }
        filters.sort_by_key(|(f, _)| f.name);
        let sort = parse_sort(spec, sort_raw.as_deref().unwrap_or(spec.default_sort))?;
        let limit = query::parse_limit(limit_raw.as_deref())?;
        Ok(Self {
            filters,
            sort,
            limit,
            cursor,
            include,
        })
    }

    /// The canonical shape a cursor is bound to.
    fn shape(&self, spec: &ListSpec, scope: &[(&'static str, String)]) -> String {
        let mut s = format!("{}|", spec.table);
        for (sql, v) in scope {
            s.push_str(&format!("{sql}={v}|"));
        }
        for (f, v) in &self.filters {
            s.push_str(&format!("filter[{}]={v}|", f.name));
        }
        let sort: Vec<String> = self
            .sort
            .iter()
            .map(|(s, desc)| format!("{}{}", if *desc { "-" } else { "" }, s.name))
            .collect();
        s.push_str(&format!("sort={}", sort.join(",")));
        s
    }
}

fn parse_sort(
    spec: &'static ListSpec,
    raw: &str,
) -> Result<Vec<(&'static SortSpec, bool)>, ApiError> {
    let mut out: Vec<(&'static SortSpec, bool)> = Vec::new();
    for part in raw.split(',') {
        let (name, desc) = match part.strip_prefix('-') {
            Some(n) => (n, true),
            None => (part, false),
        };
        let s = spec.sorts.iter().find(|s| s.name == name).ok_or_else(|| {
            let allowed: Vec<_> = spec.sorts.iter().map(|s| s.name).collect();
            ApiError::validation(
                "sort",
                format!("cannot sort by {name:?}; allowed: {}", allowed.join(", ")),
            )
        })?;
        if out.iter().any(|(o, _)| o.name == s.name) {
            return Err(ApiError::validation(
                "sort",
                format!("{name} appears more than once in sort"),
            ));
        }
        out.push((s, desc));
    }
    if out.len() > 3 {
        return Err(ApiError::validation("sort", "sort takes at most 3 fields"));
    }
    Ok(out)
}

/// A row type of a [`ListSpec`]: its select list plus `cursor_key`.
pub trait Row: QueryableByName<Pg> + Send + 'static {
    fn cursor_key(&self) -> &[Option<String>];
}

/// SQL text with `$n` placeholders and the text values bound to them (after `$1`, the tenant).
struct Sql {
    text: String,
    binds: Vec<String>,
}

impl Sql {
    fn new(text: String) -> Self {
        Self {
            text,
            binds: Vec::new(),
        }
    }

    /// Appends `template` with each `?` replaced by a new placeholder for the next value.
    fn push(&mut self, template: &str, values: &[&str]) {
        let mut values = values.iter();
        for (i, piece) in template.split('?').enumerate() {
            if i > 0 {
                let v = values.next().map(|v| (*v).to_owned()).unwrap_or_default();
                self.binds.push(v);
                self.text.push_str(&format!("${}", self.binds.len() + 1));
            }
            self.text.push_str(piece);
        }
    }

    async fn load<R: Row>(
        self,
        conn: &mut AsyncPgConnection,
        tenant: Uuid,
    ) -> diesel::QueryResult<Vec<R>> {
        let mut q = diesel::sql_query(self.text)
            .into_boxed::<Pg>()
            .bind::<SqlUuid, _>(tenant);
        for b in self.binds {
            q = q.bind::<Text, _>(b);
        }
        q.load::<R>(conn).await
    }
}

/// One page of `spec` for `tenant`, restricted further by `scope` (fixed conditions
/// such as `customer_id = ?` for a relationship list).
pub async fn fetch_page<R: Row>(
    conn: &mut AsyncPgConnection,
    spec: &'static ListSpec,
    tenant: Uuid,
    scope: &[(&'static str, String)],
    query: &ListQuery,
    codec: &CursorCodec,
) -> Result<CursorPage<R>, ApiError> {
    let shape = query.shape(spec, scope);
    let keys: Vec<String> = match &query.cursor {
        None => Vec::new(),
        Some(c) => {
            let v = codec.decode(&shape, c)?;
            let arr = v.as_array().ok_or_else(ApiError::invalid_cursor)?;
            let keys: Option<Vec<String>> =
                arr.iter().map(|x| x.as_str().map(str::to_owned)).collect();
            match keys {
                Some(k) if k.len() == query.sort.len() + 1 => k,
                _ => return Err(ApiError::invalid_cursor()),
            }
        }
    };

    let key_exprs: Vec<String> = query
        .sort
        .iter()
        .map(|(s, _)| format!("({})::text", s.expr))
        .collect();
    let mut sql = Sql::new(format!(
        "SELECT {}, ARRAY[{}, id::text] AS cursor_key FROM {} WHERE tenant_id = $1",
        spec.columns,
        key_exprs.join(", "),
        spec.table
    ));
    for (template, value) in scope {
        sql.push(&format!(" AND {template}"), &[value]);
    }
    for (f, value) in &query.filters {
        // Enum filters are written `col = ?`: one value stays an equality (index
        // friendly: the planner can use `(tenant_id, col, sort…)`); several become `= ANY`.
        let template = match f.kind {
            Kind::Enum(_) if value.contains(',') => {
                f.sql.replacen("= ?", "= ANY(string_to_array(?, ','))", 1)
            }
            _ => f.sql.to_owned(),
        };
        sql.push(&format!(" AND ({template})"), &[value]);
    }
    let id_desc = query.sort.last().map(|(_, d)| *d).unwrap_or(false);
    if !keys.is_empty() {
        keyset_condition(&mut sql, &query.sort, id_desc, &keys);
    }
    let mut order: Vec<String> = query
        .sort
        .iter()
        .map(|(s, desc)| format!("{} {}", s.expr, if *desc { "DESC" } else { "ASC" }))
        .collect();
    order.push(format!("id {}", if id_desc { "DESC" } else { "ASC" }));
    sql.text.push_str(&format!(
        " ORDER BY {} LIMIT {}",
        order.join(", "),
        query.limit + 1
    ));

    let rows: Vec<R> = sql.load(conn, tenant).await?;
    Ok(CursorPage::from_rows(
        rows,
        query.limit,
        codec,
        &shape,
        |r: &R| {
            Value::Array(
                r.cursor_key()
                    .iter()
                    .map(|k| k.clone().map(Value::String).unwrap_or(Value::Null))
                    .collect(),
            )
        },
    ))
}

/// Rows strictly after the cursor position. One direction: a row comparison
/// (index friendly); mixed directions: the expanded OR form.
fn keyset_condition(
    sql: &mut Sql,
    sort: &[(&'static SortSpec, bool)],
    id_desc: bool,
    keys: &[String],
) {
    let mut cols: Vec<(String, String, bool)> = sort
        .iter()
        .map(|(s, d)| (s.expr.to_owned(), s.cast.to_owned(), *d))
        .collect();
    cols.push(("id".into(), "text".into(), id_desc));
    let uniform = cols.iter().all(|c| c.2 == cols[0].2);
    if uniform {
        let lhs: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
        let rhs: Vec<String> = cols.iter().map(|c| format!("?::{}", c.1)).collect();
        let op = if cols[0].2 { "<" } else { ">" };
        let values: Vec<&str> = keys.iter().map(String::as_str).collect();
        sql.push(
            &format!(" AND ({}) {op} ({})", lhs.join(", "), rhs.join(", ")),
            &values,
        );
        return;
    }
    sql.text.push_str(" AND (");
    for i in 0..cols.len() {
        if i > 0 {
            sql.text.push_str(" OR ");
        }
        sql.text.push('(');
        for (j, col) in cols.iter().enumerate().take(i) {
            sql.push(&format!("{} = ?::{} AND ", col.0, col.1), &[&keys[j]]);
        }
        let (expr, cast, desc) = &cols[i];
        let op = if *desc { "<" } else { ">" };
        sql.push(&format!("{expr} {op} ?::{cast})"), &[&keys[i]]);
    }
    sql.text.push(')');
}

/// One row of `spec` by public id; 404 `not_found` naming the resource otherwise.
/// The statement text is fixed per resource, so it is a cached prepared statement.
pub async fn fetch_one<R: Row>(
    conn: &mut AsyncPgConnection,
    spec: &'static ListSpec,
    tenant: Uuid,
    id: &str,
) -> Result<R, ApiError> {
    let sql = format!(
        "SELECT {}, ARRAY[id::text] AS cursor_key FROM {} WHERE tenant_id = $1 AND id = $2",
        spec.columns, spec.table
    );
    diesel::sql_query(sql)
        .bind::<SqlUuid, _>(tenant)
        .bind::<Text, _>(id)
        .load::<R>(conn)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found(spec.resource))
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    found: bool,
}

/// Whether `spec`'s table holds `id` for `tenant` (parents of relationship lists).
pub async fn exists(
    conn: &mut AsyncPgConnection,
    spec: &'static ListSpec,
    tenant: Uuid,
    id: &str,
) -> Result<bool, ApiError> {
    let mut sql = Sql::new(format!(
        "SELECT EXISTS (SELECT 1 FROM {} WHERE tenant_id = $1",
        spec.table
    ));
    sql.push(" AND id = ?) AS found", &[id]);
    let mut q = diesel::sql_query(sql.text)
        .into_boxed::<Pg>()
        .bind::<SqlUuid, _>(tenant);
    for b in sql.binds {
        q = q.bind::<Text, _>(b);
    }
    let rows: Vec<Exists> = q.load(conn).await?;
    Ok(rows.into_iter().any(|r| r.found))
}

/// The cursor that [`fetch_page`] would return after a row with sort values
/// `keys` (sort values then id), for the list `query` of `spec` — used by the
/// benchmark to jump to a deep page without walking to it.
pub fn encode_cursor(
    spec: &'static ListSpec,
    query: &str,
    scope: &[(&'static str, String)],
    keys: &[String],
    codec: &CursorCodec,
) -> Result<String, ApiError> {
    let q = ListQuery::parse(spec, query)?;
    Ok(codec.encode(
        &q.shape(spec, scope),
        &Value::Array(keys.iter().cloned().map(Value::String).collect()),
    ))
}
