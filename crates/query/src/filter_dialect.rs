//! The `filter[name]=…&sort=-a,b&limit=…&cursor=…&include=…` dialect (admin
//! API), paginated by keyset.
//!
//! [`CursorQuery::parse`] validates a raw query string against a
//! [`ListSpec`]; [`CursorQuery::apply`] renders it onto a diesel boxed query
//! (conditions, the keyset condition of the cursor, ORDER BY, `LIMIT n + 1`)
//! and returns a [`Pager`] that turns the fetched rows into a page with the
//! next cursor. Errors are 400 `validation_failed` naming the parameter in
//! `details.parameter` (`invalid_cursor` for cursors).
//!
//! Keyset: rows are ordered by the sort keys then the spec's tie-breaker (the
//! id, in the direction of the last sort key). The condition "after the
//! cursor row" is the expanded form `(a > ka) OR (a = ka AND b > kb) OR …`
//! ANDed with a bound on the leading key (`a >= ka`), which is what lets
//! PostgreSQL start the index scan at the cursor: page 10 000 costs what page
//! 1 costs. The cursor is bound by HMAC to the resource, scope, filters and
//! sort ([`CursorQuery::shape`]).

use crate::{
    condition::parse_condition,
    cursor::{CursorCodec, CursorPage, parse_limit},
    spec::{Cmp, Condition, Direction, ListSpec, Op, Ordering, Predicate, Sorted, and, or},
};
use diesel::query_dsl::methods::{FilterDsl, LimitDsl, ThenOrderDsl};
use error_envelope::{ApiError, ErrorCode};
use serde_json::Value as Json;

/// Query parameters that name a tenant: the tenant comes only from the key.
pub const TENANT_PARAMS: &[&str] = &["tenant_id", "shop_id", "tenant", "shop"];
/// Most sort keys a request may give.
pub const MAX_SORT_KEYS: usize = 3;
/// Most values of one comma-separated filter.
pub const MAX_IN_VALUES: usize = 100;

fn invalid(parameter: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_parameter(ErrorCode::ValidationFailed, parameter, message)
}

/// Parses a raw query string into `(name, value)` pairs, refusing tenant parameters and NUL.
pub fn query_pairs(query: &str) -> Result<Vec<(String, String)>, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| invalid("query", "the query string is malformed"))?;
    for (k, v) in &pairs {
        let inner = k
            .strip_prefix("filter[")
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(k);
        if TENANT_PARAMS.contains(&inner) {
            return Err(invalid(
                k,
                format!("{k} is not accepted: the shop is the one of the API key"),
            ));
        }
        if k.contains('\0') || v.contains('\0') {
            return Err(invalid(k, format!("{k} contains a NUL character")));
        }
    }
    Ok(pairs)
}

/// Refuses any query parameter on endpoints that take none (and tenant parameters everywhere).
pub fn no_query(query: &str) -> Result<(), ApiError> {
    if let Some((k, _)) = query_pairs(query)?.into_iter().next() {
        return Err(invalid(&k, format!("unknown query parameter {k}")));
    }
    Ok(())
}

/// A validated keyset list request.
pub struct CursorQuery<'s, QS, R> {
    pub spec: &'s ListSpec<QS, R>,
    pub conditions: Vec<Condition<'s, QS>>,
    pub sort: Vec<Sorted<'s, QS, R>>,
    pub limit: u32,
    pub cursor: Option<String>,
    pub include: Vec<&'static str>,
}

impl<'s, QS: 'static, R> CursorQuery<'s, QS, R> {
    pub fn parse(spec: &'s ListSpec<QS, R>, query: &str) -> Result<Self, ApiError> {
        let mut conditions = Vec::new();
        let mut sort_raw: Option<String> = None;
        let mut limit_raw: Option<String> = None;
        let mut cursor = None;
        let mut include = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (k, v) in query_pairs(query)? {
            if !seen.insert(k.clone()) {
                return Err(invalid(&k, format!("{k} is given more than once")));
            }
            if let Some(name) = k.strip_prefix("filter[").and_then(|r| r.strip_suffix(']')) {
                let Some(named) = spec.filters.iter().find(|f| f.name == name) else {
                    let allowed: Vec<_> = spec.filters.iter().map(|f| f.name).collect();
                    return Err(invalid(
                        &k,
                        format!(
                            "{name} is not a filter of {}s; allowed: {}",
                            spec.resource,
                            allowed.join(", ")
                        ),
                    ));
                };
                let field = spec.field(named.field).ok_or_else(|| {
                    ApiError::internal(format!("filter {name} names no field {}", named.field))
                })?;
                conditions.push(parse_condition(
                    field,
                    named.op,
                    &v,
                    &k,
                    ErrorCode::ValidationFailed,
                    MAX_IN_VALUES,
                )?);
                continue;
            }
            match k.as_str() {
                "sort" => sort_raw = Some(v),
                "limit" => limit_raw = Some(v),
                "cursor" => cursor = Some(v),
                "include" if !spec.includes.is_empty() => {
                    for part in v.split(',') {
                        let inc = spec.includes.iter().find(|i| **i == part).ok_or_else(|| {
                            invalid(
                                "include",
                                format!("include must be one of: {}", spec.includes.join(", ")),
                            )
                        })?;
                        if !include.contains(inc) {
                            include.push(*inc);
                        }
                    }
                }
                _ => return Err(invalid(&k, format!("unknown query parameter {k}"))),
            }
        }
        conditions.sort_by(|a, b| a.parameter.cmp(&b.parameter));
        let sort = match sort_raw {
            Some(raw) => parse_sort(spec, &raw)?,
            None => spec
                .default_sort
                .iter()
                .map(|(name, dir)| {
                    spec.sort(name)
                        .map(|s| (s, *dir))
                        .ok_or_else(|| ApiError::internal(format!("default sort {name} unknown")))
                })
                .collect::<Result<_, _>>()?,
        };
        let limit = parse_limit(limit_raw.as_deref())?;
        Ok(Self {
            spec,
            conditions,
            sort,
            limit,
            cursor,
            include,
        })
    }

    /// The canonical string a cursor is bound to: resource, `scope` (fixed
    /// conditions of a relationship list, e.g. `customer_id=cus_1`), filters and sort.
    pub fn shape(&self, scope: &str) -> String {
        let mut s = format!("{}|{scope}|", self.spec.resource);
        for c in &self.conditions {
            s.push_str(&format!("{}={:?}:{:?}|", c.parameter, c.op, c.operand));
        }
        let sort: Vec<String> = self
            .sort
            .iter()
            .map(|(k, d)| format!("{}{}", if *d == Direction::Desc { "-" } else { "" }, k.name))
            .collect();
        s.push_str(&format!("sort={}", sort.join(",")));
        s
    }

    /// The sort keys then the tie-breaker, each with its direction.
    fn keys(&self) -> Vec<Sorted<'s, QS, R>> {
        let last = self.sort.last().map(|(_, d)| *d).unwrap_or(Direction::Asc);
        let mut keys = self.sort.clone();
        keys.push((&self.spec.tiebreak, last));
        keys
    }

    /// Renders the request onto `q` (which already holds the tenant and scope
    /// conditions): filters, the cursor's keyset condition, ORDER BY and
    /// `LIMIT limit + 1`. The [`Pager`] turns the fetched rows into a page.
    pub fn apply<Q>(
        &self,
        q: Q,
        codec: &CursorCodec,
        scope: &str,
    ) -> Result<(Q, Pager<'s, QS, R>), ApiError>
    where
        Q: FilterDsl<Predicate<QS>, Output = Q>
            + ThenOrderDsl<Ordering<QS>, Output = Q>
            + LimitDsl<Output = Q>,
    {
        let shape = self.shape(scope);
        let keys = self.keys();
        let mut q = q;
        for c in &self.conditions {
            q = q.filter(c.predicate()?);
        }
        if let Some(cursor) = &self.cursor {
            let values = codec.decode(&shape, cursor)?;
            let values = values
                .as_array()
                .filter(|v| v.len() == keys.len())
                .ok_or_else(ApiError::invalid_cursor)?;
            q = q.filter(after(&keys, values).ok_or_else(ApiError::invalid_cursor)?);
        }
        for (key, dir) in &keys {
            q = q.then_order_by(key.order(*dir));
        }
        let q = q.limit(i64::from(self.limit) + 1);
        Ok((
            q,
            Pager {
                keys,
                limit: self.limit,
                codec: codec.clone(),
                shape,
            },
        ))
    }
}

fn parse_sort<'s, QS, R>(
    spec: &'s ListSpec<QS, R>,
    raw: &str,
) -> Result<Vec<Sorted<'s, QS, R>>, ApiError> {
    let mut out: Vec<Sorted<'s, QS, R>> = Vec::new();
    for part in raw.split(',') {
        let (name, dir) = match part.strip_prefix('-') {
            Some(n) => (n, Direction::Desc),
            None => (part, Direction::Asc),
        };
        let key = spec.sort(name).ok_or_else(|| {
            let allowed: Vec<_> = spec.sorts.iter().map(|s| s.name).collect();
            invalid(
                "sort",
                format!("cannot sort by {name:?}; allowed: {}", allowed.join(", ")),
            )
        })?;
        if out.iter().any(|(o, _)| o.name == key.name) {
            return Err(invalid(
                "sort",
                format!("{name} appears more than once in sort"),
            ));
        }
        out.push((key, dir));
    }
    if out.len() > MAX_SORT_KEYS {
        return Err(invalid(
            "sort",
            format!("sort takes at most {MAX_SORT_KEYS} fields"),
        ));
    }
    Ok(out)
}

/// Rows strictly after the cursor position: the expanded OR form, ANDed with
/// the inclusive bound on the leading key that lets the index scan start there.
/// None when a value does not fit its key.
fn after<QS: 'static, R>(keys: &[Sorted<'_, QS, R>], values: &[Json]) -> Option<Predicate<QS>> {
    let strict = |d: Direction| {
        if d == Direction::Desc {
            Cmp::Lt
        } else {
            Cmp::Gt
        }
    };
    let mut any: Option<Predicate<QS>> = None;
    for i in 0..keys.len() {
        let (key, dir) = keys[i];
        let mut term = key.compare(strict(dir), &values[i])?;
        for j in (0..i).rev() {
            term = and(keys[j].0.compare(Cmp::Eq, &values[j])?, term);
        }
        any = Some(match any {
            None => term,
            Some(prev) => or(prev, term),
        });
    }
    let any = any?;
    if keys.len() < 2 {
        return Some(any);
    }
    let (lead, dir) = keys[0];
    let bound = lead.compare(
        if dir == Direction::Desc {
            Cmp::Le
        } else {
            Cmp::Ge
        },
        &values[0],
    )?;
    Some(and(bound, any))
}

/// Turns the `limit + 1` fetched rows into a page and its next cursor.
pub struct Pager<'s, QS, R> {
    keys: Vec<Sorted<'s, QS, R>>,
    limit: u32,
    codec: CursorCodec,
    shape: String,
}

impl<QS, R> Pager<'_, QS, R> {
    pub fn page(&self, rows: Vec<R>) -> CursorPage<R> {
        CursorPage::from_rows(rows, self.limit, &self.codec, &self.shape, |row| {
            Json::Array(self.keys.iter().map(|(k, _)| k.key_of(row)).collect())
        })
    }

    /// The cursor that would follow a row whose key values are `values`
    /// (sort keys then id): the benchmark jumps to a deep page with it.
    pub fn cursor_after(&self, values: Vec<Json>) -> String {
        self.codec.encode(&self.shape, &Json::Array(values))
    }
}

/// Whether a named filter's operation fits its field (a spec check for tests).
pub fn check_spec<QS, R>(spec: &ListSpec<QS, R>) -> Result<(), String> {
    for f in &spec.filters {
        let field = spec
            .field(f.field)
            .ok_or_else(|| format!("filter {} names no field {}", f.name, f.field))?;
        let allowed = field.allows(f.op) || (f.op == Op::In && field.allows(Op::Eq));
        if !allowed {
            return Err(format!(
                "filter {}: {} does not allow {:?}",
                f.name, field.name, f.op
            ));
        }
    }
    for (name, _) in spec.default_sort {
        spec.sort(name)
            .ok_or_else(|| format!("default sort {name} is not a sort key"))?;
    }
    Ok(())
}
