//! The `q[field__action]=value` dialect with `q[page]`/`q[perPage]` (partner
//! API), paginated by page.
//!
//! Actions: `eq not in like gte lte is order`. Which apply to a field is the
//! field's [`ops`](crate::Field::ops) (`order`: the field is also a sort key
//! of the spec). Anything else is 400 `invalid_q` naming the parameter in
//! `details.parameter`. Paging deeper than `page × perPage ≤ max_result_window`
//! is refused with `invalid_q` on `q[page]` (narrow by time instead).

use crate::{
    condition::parse_condition,
    cursor::PageParams,
    spec::{Condition, Direction, ListSpec, Op, Ordering, Predicate, Sorted},
};
use diesel::query_dsl::methods::{FilterDsl, LimitDsl, OffsetDsl, ThenOrderDsl};
use error_envelope::{ApiError, ErrorCode};

/// Paging and value limits of the dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimits {
    pub default_per_page: u32,
    pub max_per_page: u32,
    /// Largest `page × perPage`.
    pub max_result_window: u64,
    /// Most values of one `__in`.
    pub max_in_values: usize,
}

/// The dialect's actions and the operation each means.
pub const ACTIONS: &[(&str, Option<Op>)] = &[
    ("eq", Some(Op::Eq)),
    ("not", Some(Op::Ne)),
    ("in", Some(Op::In)),
    ("like", Some(Op::Like)),
    ("gte", Some(Op::Ge)),
    ("lte", Some(Op::Le)),
    ("is", Some(Op::Is)),
    ("order", None),
];

fn invalid(parameter: &str, message: impl Into<String>) -> ApiError {
    ApiError::bad_parameter(ErrorCode::InvalidQ, parameter, message)
}

/// A validated page list request.
pub struct PageQuery<'s, QS, R> {
    pub spec: &'s ListSpec<QS, R>,
    pub conditions: Vec<Condition<'s, QS>>,
    pub order: Vec<Sorted<'s, QS, R>>,
    pub page: PageParams,
}

impl<'s, QS: 'static, R> PageQuery<'s, QS, R> {
    /// Parses the query pairs (in request order); `tenant_param` is refused (the tenant comes from the key).
    pub fn parse(
        spec: &'s ListSpec<QS, R>,
        pairs: &[(String, String)],
        limits: &PageLimits,
        tenant_param: &str,
    ) -> Result<Self, ApiError> {
        let mut conditions = Vec::new();
        let mut order: Vec<Sorted<'s, QS, R>> = Vec::new();
        let mut page: Option<&str> = None;
        let mut per_page: Option<&str> = None;
        for (key, value) in pairs {
            if key == tenant_param || key.starts_with(&format!("q[{tenant_param}")) {
                return Err(invalid(
                    key,
                    format!(
                        "{tenant_param} is never accepted in the query: it comes from the API key"
                    ),
                ));
            }
            if key.contains('\0') || value.contains('\0') {
                return Err(invalid(key, format!("{key} contains a NUL character")));
            }
            let Some(inner) = key.strip_prefix("q[").and_then(|k| k.strip_suffix(']')) else {
                return Err(invalid(
                    key,
                    format!(
                        "unknown query parameter {key}; filters are written q[field__action]=value"
                    ),
                ));
            };
            if inner == "page" || inner == "perPage" {
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
            let Some((name, action)) = inner.rsplit_once("__") else {
                return Err(invalid(
                    key,
                    format!("{key} must have the form q[field__action]"),
                ));
            };
            let Some((_, op)) = ACTIONS.iter().find(|(a, _)| *a == action) else {
                let all: Vec<_> = ACTIONS.iter().map(|(a, _)| *a).collect();
                return Err(invalid(
                    key,
                    format!(
                        "unknown action __{action} in {key}; actions are {}",
                        all.join(", ")
                    ),
                ));
            };
            let Some(field) = spec.field(name) else {
                let all: Vec<_> = spec.fields.iter().map(|f| f.name).collect();
                return Err(invalid(
                    key,
                    format!(
                        "unknown column {name} in {key}; {} columns are {}",
                        spec.resource,
                        all.join(", ")
                    ),
                ));
            };
            let not_applicable = || {
                invalid(
                    key,
                    format!(
                        "__{action} does not apply to {name} ({})",
                        field.kind.describe()
                    ),
                )
            };
            match op {
                None => {
                    let sort = spec.sort(name).ok_or_else(not_applicable)?;
                    let dir = match value.to_ascii_lowercase().as_str() {
                        "asc" => Direction::Asc,
                        "desc" => Direction::Desc,
                        _ => return Err(invalid(key, format!("{key} must be asc or desc"))),
                    };
                    if order.iter().any(|(s, _)| s.name == sort.name) {
                        return Err(invalid(key, format!("{key} is given more than once")));
                    }
                    order.push((sort, dir));
                }
                Some(op) => {
                    if !field.allows(*op) {
                        return Err(not_applicable());
                    }
                    conditions.push(parse_condition(
                        field,
                        *op,
                        value,
                        key,
                        ErrorCode::InvalidQ,
                        limits.max_in_values,
                    )?);
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
        if order.is_empty() {
            for (name, dir) in spec.default_sort {
                if let Some(s) = spec.sort(name) {
                    order.push((s, *dir));
                }
            }
        }
        Ok(Self {
            spec,
            conditions,
            order,
            page,
        })
    }

    /// The conditions only (for the count of the same list).
    pub fn filter<Q>(&self, q: Q) -> Result<Q, ApiError>
    where
        Q: FilterDsl<Predicate<QS>, Output = Q>,
    {
        let mut q = q;
        for c in &self.conditions {
            q = q.filter(c.predicate()?);
        }
        Ok(q)
    }

    /// Conditions, ORDER BY (then the tie-breaker in the first key's direction), OFFSET and LIMIT.
    pub fn apply<Q>(&self, q: Q) -> Result<Q, ApiError>
    where
        Q: FilterDsl<Predicate<QS>, Output = Q>
            + ThenOrderDsl<Ordering<QS>, Output = Q>
            + OffsetDsl<Output = Q>
            + LimitDsl<Output = Q>,
    {
        let mut q = self.filter(q)?;
        for (key, dir) in &self.order {
            q = q.then_order_by(key.order(*dir));
        }
        let tie = self
            .order
            .first()
            .map(|(_, d)| *d)
            .unwrap_or(Direction::Desc);
        q = q.then_order_by(self.spec.tiebreak.order(tie));
        Ok(q.offset(self.page.offset()).limit(self.page.limit()))
    }
}
