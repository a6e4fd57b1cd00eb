//! List queries of the public APIs, rendered through diesel.
//!
//! - [`ListSpec`]: per resource, the whitelist of filterable [`Field`]s and
//!   orderable [`SortKey`]s, each holding the diesel expression it renders
//!   (declared with [`field!`], [`sort!`], [`order!`]).
//! - Two front-ends of the same spec: [`filter_dialect`] (`filter[…]`, `sort`,
//!   `limit`, `cursor`; keyset pages — admin) and [`q_dialect`]
//!   (`q[field__action]`, `q[page]`, `q[perPage]` — partner).
//! - [`cursor`]: the HMAC-bound keyset cursor codec, `limit`, page/perPage.
//! - Statement timeouts: [`list_error`] maps PostgreSQL's cancellation into
//!   503 `query_timeout`; [`set_local_statement_timeout`] gives one
//!   transaction its own budget; [`estimated_rows`] asks the planner.

pub mod condition;
pub mod cursor;
pub mod filter_dialect;
pub mod q_dialect;
pub mod spec;
pub mod value;

pub use cursor::{
    CursorCodec, CursorPage, DEFAULT_LIMIT, MAX_LIMIT, PageParams, PaginationInfo, parse_limit,
};
pub use filter_dialect::{CursorQuery, Pager};
pub use q_dialect::{PageLimits, PageQuery};
pub use spec::{
    Cmp, CollateC, Condition, Direction, Field, ListDoc, ListSpec, NamedFilter, NegInfinity, Op,
    Operand, Ordering, Predicate, SortKey, Sorted, and, coalesce, like_pattern, lower, or,
    ordering, predicate,
};
pub use value::{FromValue, KeyValue, Kind, Value};

#[doc(hidden)]
pub use diesel as __diesel;
#[doc(hidden)]
pub use serde_json::Value as __Json;

use diesel::{
    pg::Pg,
    query_builder::{AstPass, Query, QueryFragment, QueryId},
    result::Error as DieselError,
    sql_types,
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use error_envelope::{ApiError, ErrorCode};

/// Whether PostgreSQL cancelled the statement because of `statement_timeout`.
pub fn is_statement_timeout(e: &DieselError) -> bool {
    list_error_ref(e) == ErrorCode::QueryTimeout
}

fn list_error_ref(e: &DieselError) -> ErrorCode {
    match e {
        DieselError::DatabaseError(_, info) if info.message().contains("statement timeout") => {
            ErrorCode::QueryTimeout
        }
        _ => ErrorCode::Internal,
    }
}

/// The one mapping of a list query's error (the registry's): a statement
/// timeout → 503 `query_timeout`, anything else → logged 500.
pub fn list_error(e: DieselError) -> ApiError {
    ApiError::from(e)
}

/// `SET LOCAL statement_timeout` for the current transaction, as a bound parameter.
pub async fn set_local_statement_timeout(
    conn: &mut AsyncPgConnection,
    millis: u64,
) -> diesel::QueryResult<()> {
    diesel::select(db::set_config(
        "statement_timeout",
        format!("{millis}ms"),
        true,
    ))
    .execute(conn)
    .await
    .map(|_| ())
}

/// `EXPLAIN (FORMAT JSON) <query>`: diesel has no EXPLAIN, so this node
/// prefixes any query (its binds stay bound).
#[derive(Debug, Clone, Copy)]
pub struct Explain<Q>(pub Q);

impl<Q> QueryId for Explain<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Explain<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> diesel::QueryResult<()> {
        out.unsafe_to_cache_prepared();
        out.push_sql("EXPLAIN (FORMAT JSON) ");
        self.0.walk_ast(out.reborrow())
    }
}

impl<Q> Query for Explain<Q> {
    type SqlType = sql_types::Json;
}

/// The planner's row estimate for `query` (a cheap stand-in for `count(*)` on huge lists).
pub async fn estimated_rows<Q>(conn: &mut AsyncPgConnection, query: Q) -> Result<i64, ApiError>
where
    Q: QueryFragment<Pg> + Send + 'static,
{
    let plan: serde_json::Value = Explain(query).get_result(conn).await.map_err(list_error)?;
    #[expect(
        clippy::cast_possible_truncation,
        reason = "a row estimate; far below i64::MAX"
    )]
    let rows = plan[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(0.0) as i64;
    Ok(rows)
}
